/** The one number form every CLI number takes: decimal digits, a point allowed (`.5`); no 1e3, 0x10, +5 or spaces. */
export const PLAIN_DECIMAL = /^(?:\d+(?:\.\d+)?|\.\d+)$/;
