import { HttpRequest } from '@azure/functions';
import { incidentQuerySchema, readQuery } from '../../src/functions/http/httpInput';
import { AppError } from '../../src/errors';

/** Issue 11, finding 6: query names that are Object.prototype members are ordinary unknown names. */
function queryError(search: string): AppError {
  const request = new HttpRequest({ method: 'GET', url: `http://localhost:7071/api/incidents${search}` });
  try {
    readQuery(request, incidentQuerySchema);
  } catch (err) {
    return err as AppError;
  }
  throw new Error(`the query ${search} was accepted`);
}

describe('the query string', () => {
  test.each(['?__proto__=x', '?constructor=x', '?toString=x', '?hasOwnProperty=x'])(
    'when %s is sent, then it is an unknown parameter, not a repeat',
    (search) => {
      const error = queryError(search);
      expect(error.code).toBe('HTTP.INVALID_REQUEST');
      expect(error.message).toContain('unknown field');
      expect(error.message).not.toContain('given twice');
    },
  );

  test('when a real parameter is repeated, then that is still refused as given twice', () => {
    expect(queryError('?state=open&state=failed').message).toContain('given twice');
  });

  test('when __proto__ carries a known field name, then it cannot smuggle that field in', () => {
    expect(queryError('?__proto__[state]=open').code).toBe('HTTP.INVALID_REQUEST');
  });
});
