// What went wrong with a casefile request, in the domain's words; src/api/ maps each reason
// to an HTTP status so this module knows nothing of transport.
export type CasefileErrorReason = 'invalid' | 'not_found' | 'conflict' | 'forbidden' | 'too_large';

export class CasefileError extends Error {
  constructor(readonly reason: CasefileErrorReason, message: string) {
    super(message);
    this.name = 'CasefileError';
  }
}

export const invalid = (message: string) => new CasefileError('invalid', message);
export const notFound = (message: string) => new CasefileError('not_found', message);
export const conflict = (message: string) => new CasefileError('conflict', message);
export const forbidden = (message: string) => new CasefileError('forbidden', message);
export const tooLarge = (message: string) => new CasefileError('too_large', message);
