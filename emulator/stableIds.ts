import { v5 as uuidv5 } from 'uuid';

// Any fixed namespace works; it only has to stay the same so ids survive restarts.
const NAMESPACE = '6f0b4a52-8f7e-4d8e-9a53-5d2f3c8e1a77';

/** Deterministic GUIDs: the same scenario always yields the same event, role and user ids. */
export function stableId(...parts: (string | number)[]): string {
  return uuidv5(parts.join(':'), NAMESPACE);
}
