import { useId, type InputHTMLAttributes } from 'react';
import { Input } from '../atoms/Input';

export interface FormFieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  error?: string | undefined;
  testId?: string;
}

/** A labelled input whose error is announced and tied to it (`aria-describedby`). */
export function FormField({ label, error, testId, ...rest }: FormFieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <Input id={id} invalid={Boolean(error)} aria-describedby={error ? errorId : undefined} data-testid={testId} {...rest} />
      {error && (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
