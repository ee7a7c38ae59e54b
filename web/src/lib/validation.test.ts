import { validateRegistration } from './validation';

const valid = { email: 'ann@example.org', password: 'Secret123', confirmPassword: 'Secret123', name: 'Ann' };

describe('validateRegistration', () => {
  it('accepts a valid registration', () => {
    expect(validateRegistration(valid)).toEqual({});
  });
  it.each([
    [{ email: '' }, 'email', 'Email is required'],
    [{ email: 'nope' }, 'email', 'Invalid email'],
    [{ password: '', confirmPassword: '' }, 'password', 'Password is required'],
    [{ password: 'Ab1', confirmPassword: 'Ab1' }, 'password', 'Password must be at least 8 characters'],
    [{ password: 'secret123', confirmPassword: 'secret123' }, 'password', 'Password must contain an uppercase letter'],
    [{ password: 'Secretxyz', confirmPassword: 'Secretxyz' }, 'password', 'Password must contain a number'],
    [{ confirmPassword: 'Secret124' }, 'confirmPassword', 'Passwords do not match'],
    [{ name: ' A ' }, 'name', 'Name must be at least 2 characters'],
  ])('%o → %s: %s', (change, field, message) => {
    expect(validateRegistration({ ...valid, ...change })).toEqual({ [field]: message });
  });
});
