import { render, screen } from '@testing-library/react';
import { FormField } from './FormField';

describe('FormField', () => {
  it('labels its input', () => {
    render(<FormField label="Email" testId="email-input" />);
    expect(screen.getByLabelText('Email')).toHaveAttribute('data-testid', 'email-input');
  });
  it('ties the error message to the input', () => {
    render(<FormField label="Email" error="Invalid email" />);
    const input = screen.getByLabelText('Email');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription('Invalid email');
  });
});
