import { useEffect } from 'react';
import { useUi } from '../../state/ui';

/** The toasts of the UI context; each leaves after a few seconds or when dismissed. */
export function Toasts() {
  const { state, dispatch } = useUi();
  useEffect(() => {
    const timers = state.toasts.map((t) => setTimeout(() => dispatch({ type: 'DISMISS_TOAST', payload: t.id }), 5000));
    return () => timers.forEach(clearTimeout);
  }, [state.toasts, dispatch]);
  return (
    <div className="toasts" aria-live="polite">
      {state.toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.message}</span>
          <button type="button" className="link" aria-label="Dismiss" onClick={() => dispatch({ type: 'DISMISS_TOAST', payload: t.id })}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
