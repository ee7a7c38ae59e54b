// Local UI state in a Context + Reducer (the seed's `SET_USER` / `TOGGLE_THEME` shape): the
// signed-in user as shown, the theme, and toasts.
import { createContext, useContext, useEffect, useReducer, type Dispatch, type ReactNode } from 'react';
import type { User } from '../api/types';
import { useSession } from './session';

export type Theme = 'light' | 'dark';
export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  message: string;
}
export interface UiState {
  user: User | null;
  theme: Theme;
  toasts: Toast[];
}
export type UiAction =
  | { type: 'SET_USER'; payload: User | null }
  | { type: 'TOGGLE_THEME' }
  | { type: 'ADD_TOAST'; payload: Omit<Toast, 'id'> }
  | { type: 'DISMISS_TOAST'; payload: number };

let nextToast = 1;

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'SET_USER':
      return { ...state, user: action.payload };
    case 'TOGGLE_THEME':
      return { ...state, theme: state.theme === 'light' ? 'dark' : 'light' };
    case 'ADD_TOAST':
      return { ...state, toasts: [...state.toasts, { ...action.payload, id: nextToast++ }].slice(-4) };
    case 'DISMISS_TOAST':
      return { ...state, toasts: state.toasts.filter((t) => t.id !== action.payload) };
  }
}

const THEME_KEY = 'agora-theme';

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

const UiContext = createContext<{ state: UiState; dispatch: Dispatch<UiAction> } | null>(null);

export function UiProvider({ children }: { children: ReactNode }) {
  const [state, dispatch] = useReducer(uiReducer, undefined, () => ({
    user: useSession.getState().user,
    theme: initialTheme(),
    toasts: [],
  }));
  const user = useSession((s) => s.user);
  useEffect(() => dispatch({ type: 'SET_USER', payload: user }), [user]);
  useEffect(() => {
    document.documentElement.dataset.theme = state.theme;
    localStorage.setItem(THEME_KEY, state.theme);
  }, [state.theme]);
  return <UiContext.Provider value={{ state, dispatch }}>{children}</UiContext.Provider>;
}

export function useUi() {
  const context = useContext(UiContext);
  if (!context) throw new Error('useUi outside UiProvider');
  return context;
}

/** `toast.success('Saved')` etc. */
export function useToast() {
  const { dispatch } = useUi();
  return {
    success: (message: string) => dispatch({ type: 'ADD_TOAST', payload: { kind: 'success', message } }),
    error: (message: string) => dispatch({ type: 'ADD_TOAST', payload: { kind: 'error', message } }),
    info: (message: string) => dispatch({ type: 'ADD_TOAST', payload: { kind: 'info', message } }),
  };
}
