import { uiReducer, type UiState } from './ui';

const initial: UiState = { user: null, theme: 'light', toasts: [] };

describe('uiReducer', () => {
  it('SET_USER replaces the user', () => {
    const user = { id: 'u1', name: 'Ann' } as UiState['user'];
    expect(uiReducer(initial, { type: 'SET_USER', payload: user }).user).toBe(user);
  });
  it('TOGGLE_THEME flips between light and dark', () => {
    const dark = uiReducer(initial, { type: 'TOGGLE_THEME' });
    expect(dark.theme).toBe('dark');
    expect(uiReducer(dark, { type: 'TOGGLE_THEME' }).theme).toBe('light');
  });
  it('adds toasts with ids, keeps the last four and dismisses by id', () => {
    let state = initial;
    for (let n = 0; n < 5; n++) state = uiReducer(state, { type: 'ADD_TOAST', payload: { kind: 'info', message: `m${n}` } });
    expect(state.toasts.map((t) => t.message)).toEqual(['m1', 'm2', 'm3', 'm4']);
    const id = state.toasts[0]?.id ?? -1;
    expect(uiReducer(state, { type: 'DISMISS_TOAST', payload: id }).toasts).toHaveLength(3);
  });
});
