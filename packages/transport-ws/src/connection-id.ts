import { connectionIds } from '@baton/transport';

/** `ws-17`: one numbering for both ends of this transport (see connectionIds). */
export const nextConnectionId: () => string = connectionIds('ws');
