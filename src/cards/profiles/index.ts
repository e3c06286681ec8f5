import type { CdsResponse } from '../../cds/types.js';
import { epicProfile } from './epic.js';

/**
 * Card profiles: what one kind of CDS client needs cards to look like, applied to the rendered response for a
 * caller whose trusted-issuer entry names the profile (`profile: epic` in TRUSTED_ISSUERS_FILE). A profile is a
 * pure function of the response; without one, the response is sent as rendered. docs/ehr-integration.md says
 * what each profile changes and why.
 */
export const CARD_PROFILES = ['epic'] as const;
export type CardProfileName = (typeof CARD_PROFILES)[number];
export type CardProfile = (response: CdsResponse) => CdsResponse;

const PROFILES: Record<CardProfileName, CardProfile> = { epic: epicProfile };

/** The response as the caller's profile wants it (unchanged without a profile). */
export function applyCardProfile(profile: CardProfileName | undefined, response: CdsResponse): CdsResponse {
  return profile === undefined ? response : PROFILES[profile](response);
}
