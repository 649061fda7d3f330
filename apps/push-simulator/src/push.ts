/** What the simulator sends: one push = one JSON body for one of the two receivers (contract §1). */
export type PushKind = 'status' | 'cdr';

export type WireBody = Record<string, unknown>;

export interface Push {
  kind: PushKind;
  callId: string;
  /** the wire body: status `eventTime` is epoch SECONDS as a digit string, CDR times epoch ms */
  body: WireBody;
  /** for reports and tests: `status:<eventType>[:p<party>]` or `cdr` */
  label: string;
  /** true for the extra copy the duplicate anomaly adds */
  duplicate?: boolean;
}

export const PUSH_PATHS: Readonly<Record<PushKind, string>> = {
  status: '/v1/push/status',
  cdr: '/v1/push/cdr',
};
