import type { SsprFailure } from './model';

/** What `reports/authenticationMethods/userRegistrationDetails/{id}` said about a user, or why it could not. */
export type RegistrationFacts =
  | {
      kind: 'read';
      isSsprRegistered: boolean | null;
      isSsprCapable: boolean | null;
      methodsRegistered: string[];
    }
  | { kind: 'unread'; reason: string };

/**
 * Methods the administrator reset policy can use (concept-sspr-policy, "Administrator reset policy
 * differences": two pieces of authentication data such as an email address, an authenticator app or a
 * phone number; security questions are prohibited). Names as userRegistrationDetails writes them.
 */
const ADMIN_RESET_METHODS = new Set([
  'email',
  'mobilephone',
  'alternatemobilephone',
  'officephone',
  'microsoftauthenticatorpush',
  'softwareonetimepasscode',
  'hardwareonetimepasscode',
]);

/** The codes whose cause is outside registration, with the next step (SSPR troubleshooting error catalog). */
const CODE_ADVICE: Record<string, string> = {
  SSPR_0010:
    'password writeback is not enabled for this synchronized user (SSPR_0010): enable writeback in Microsoft Entra Connect or cloud sync',
  SSPR_0012: 'the user has no license that includes SSPR (SSPR_0012): assign one',
  SSPR_0029:
    'the on-premises password could not be set (SSPR_0029): check the writeback account’s permissions and the on-premises password policy',
  SSPR_0030:
    'the on-premises directory could not be reached (SSPR_0030): check the Microsoft Entra Connect or cloud sync agent',
};

/**
 * Advice for an administrator who failed while admin SSPR was on: the likely cause and the next step,
 * from their registration and the events' own error codes. Advice only: nothing is changed.
 */
export function policyOnCause(registration: RegistrationFacts | undefined, failures: SsprFailure[]): string {
  const codes = [
    ...new Set(failures.map((failure) => failure.errorCode).filter((code): code is string => !!code)),
  ];
  const coded = codes.map((code) => CODE_ADVICE[code]).filter(Boolean);
  if (coded.length > 0) return `Likely cause: ${coded.join('; ')}.`;
  if (!registration || registration.kind === 'unread') {
    return `The user's SSPR registration could not be read (${registration?.reason ?? 'not asked'}): check in the portal that they registered two methods other than security questions.`;
  }
  const usable = registration.methodsRegistered.filter((method) =>
    ADMIN_RESET_METHODS.has(method.toLowerCase()),
  );
  const questions = registration.methodsRegistered.some(
    (method) => method.toLowerCase() === 'securityquestion',
  );
  if (usable.length < 2) {
    const has = usable.length === 0 ? 'no method' : `one method (${usable.join(', ')})`;
    return `Likely cause: the user has ${has} the admin reset policy accepts; it needs two${questions ? ', and security questions do not count for administrators' : ''}. Next step: ask them to register a second method (Authenticator app, phone or email) at https://aka.ms/mysecurityinfo.`;
  }
  if (registration.isSsprCapable === false) {
    return `The user registered ${usable.join(', ')}, but Microsoft reports them not SSPR-capable: check that the methods are allowed and that the user is in scope of SSPR${codes.length ? ` (the events say ${codes.join(', ')})` : ''}.`;
  }
  return `The user registered ${usable.join(', ')}, enough for the admin policy${codes.length ? `; the events say ${codes.join(', ')}` : ''}: read the failure text of their events for the cause.`;
}
