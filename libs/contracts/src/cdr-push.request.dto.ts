// CDR push, `POST /v1/push/cdr` (spec §3; contract §1). Every field of the spec's example. Fields
// not listed here are allowed, whatever their type, and kept in the stored raw push: a CDR must not
// be refused (and lost after the sender's retries) over one of them. The upstream extras of
// enumerations.md (outId, phoneNoE, verifyResult, …) are part of the CDR's content (normalise-push.ts,
// UPSTREAM_FIELDS): changing one makes a revision. Other unknown fields take no part.
// An optional field sent as null counts as absent.
import {
  OptionalInteger,
  OptionalTime,
  OptionalString,
  RequiredId,
  RequiredInteger,
  RequiredNonNegativeInteger,
  RequiredTime,
  USER_DATA_MAX_LENGTH,
} from './push-field.decorators.js';

export class CdrPushRequestDto {
  @RequiredId() accountId!: string;
  @RequiredId() callId!: string;
  /** 100 VOICE_SIP, 200 PRIVACY_NUMBER; other codes accepted and flagged */
  @RequiredInteger() serviceType!: number;
  /** epoch ms */
  @RequiredTime() beginCallTime!: number;
  /** epoch ms */
  @RequiredTime() endTime!: number;
  /** talk time, seconds */
  @RequiredNonNegativeInteger() callDuration!: number;

  @OptionalInteger() subServiceType?: number | null;
  @OptionalString() numberPoolNo?: string | null;
  @OptionalString() caller?: string | null;
  @OptionalString() callerCountryIsoCode?: string | null;
  @OptionalString() callerProvinceCode?: string | null;
  @OptionalString() callerCityCode?: string | null;
  @OptionalString() callee?: string | null;
  @OptionalString() calleeCountryIsoCode?: string | null;
  @OptionalString() calleeProvinceCode?: string | null;
  @OptionalString() calleeCityCode?: string | null;
  /** epoch ms; 0 = did not ring */
  @OptionalTime() ringTime?: number | null;
  /** epoch ms; 0 = not answered */
  @OptionalTime() startTime?: number | null;
  @OptionalInteger() releaseType?: number | null;
  /** call table for cdrType 1, SMS table for cdrType 2; -1 = other */
  @OptionalInteger() callResult?: number | null;
  @OptionalInteger() audioRecordFlag?: number | null;
  /** epoch ms; the later of two revisions of one CDR is authoritative */
  @OptionalTime() cdrCreateTime?: number | null;
  @OptionalString() subscriptionId?: string | null;
  @OptionalString() phoneNoX?: string | null;
  @OptionalString() phoneNoA?: string | null;
  @OptionalString() phoneNoB?: string | null;
  @OptionalInteger() secretCallType?: number | null;
  /** informative only: the endpoint decides the kind of push (the spec's CDR example sends 1) */
  @OptionalInteger() messageType?: number | null;
  @OptionalInteger() callDisplayType?: number | null;
  /** 1 call, 2 SMS; 1 when absent */
  @OptionalInteger() cdrType?: number | null;
  @OptionalString(USER_DATA_MAX_LENGTH) userData?: string | null;
}
