// The registration rules of API.md "Validation rules", with their exact messages, checked
// before the request so the person sees them at once (the server checks again).
export interface RegisterFields {
  email: string;
  password: string;
  confirmPassword: string;
  name: string;
}
export type FieldErrors<T> = Partial<Record<keyof T, string>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateEmail(email: string): string | undefined {
  if (!email.trim()) return 'Email is required';
  if (email.length > 254 || !EMAIL.test(email.trim())) return 'Invalid email';
  return undefined;
}

export function validatePassword(password: string): string | undefined {
  if (!password) return 'Password is required';
  if (password.length < 8) return 'Password must be at least 8 characters';
  if (password.length > 128) return 'Password must be at most 128 characters';
  if (!/[A-Z]/.test(password)) return 'Password must contain an uppercase letter';
  if (!/[0-9]/.test(password)) return 'Password must contain a number';
  return undefined;
}

export function validateName(name: string): string | undefined {
  const length = name.trim().length;
  if (length === 0) return 'Name is required';
  if (length < 2) return 'Name must be at least 2 characters';
  if (length > 50) return 'Name must be at most 50 characters';
  return undefined;
}

export function validateRegistration(fields: RegisterFields): FieldErrors<RegisterFields> {
  const errors: FieldErrors<RegisterFields> = {
    email: validateEmail(fields.email),
    password: validatePassword(fields.password),
    confirmPassword: fields.password !== fields.confirmPassword ? 'Passwords do not match' : undefined,
    name: validateName(fields.name),
  };
  return Object.fromEntries(Object.entries(errors).filter(([, v]) => v)) as FieldErrors<RegisterFields>;
}
