/**
 * HTTP dates (RFC 9110 §5.6.7): formatting in IMF-fixdate, parsing the three accepted forms, and
 * a per-second cache of the current `Date` header value.
 *
 * @module
 */

/**
 * Formats a time as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
 *
 * @param ms Milliseconds since the epoch.
 * @returns The IMF-fixdate string.
 */
export function formatHttpDate(ms: number): string {
  // Date#toUTCString produces exactly IMF-fixdate for years 0–9999.
  return new Date(ms).toUTCString();
}

/**
 * Parses an HTTP date in any of the forms RFC 9110 §5.6.7 says a recipient must accept
 * (IMF-fixdate, RFC 850, asctime).
 *
 * @param value The header value.
 * @returns Milliseconds since the epoch, or `null` when the value is not a valid HTTP date.
 */
export function parseHttpDate(value: string): number | null {
  const text = value.trim();
  const imf =
    /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
      .exec(text);
  if (imf) return toMs(imf[3], imf[2], imf[1], imf[4], imf[5], imf[6]);
  const rfc850 =
    /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
      .exec(text);
  if (rfc850) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const yy = Number(rfc850[3]);
    const nowYear = new Date().getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + yy;
    if (year > nowYear + 50) year -= 100;
    return toMs(String(year), rfc850[2], rfc850[1], rfc850[4], rfc850[5], rfc850[6]);
  }
  const asc =
    /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/
      .exec(text);
  if (asc) return toMs(asc[6], asc[1], asc[2].trim(), asc[3], asc[4], asc[5]);
  return null;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function toMs(
  year: string,
  month: string,
  day: string,
  hour: string,
  minute: string,
  second: string,
): number | null {
  const m = MONTHS.indexOf(month);
  const [y, d, h, mi, s] = [year, day, hour, minute, second].map(Number);
  if (m < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const ms = Date.UTC(y, m, d, h, mi, Math.min(s, 59));
  // Reject dates like 31 Feb that Date.UTC would roll over into the next month.
  return new Date(ms).getUTCDate() === d ? ms : null;
}

let cachedSecond = -1;
let cachedValue = "";

/**
 * Returns the `Date` header value for now, formatted at most once per second.
 *
 * @param nowMs The current time; defaults to `Date.now()`.
 * @returns The IMF-fixdate string of the current second.
 */
export function currentHttpDate(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedValue = formatHttpDate(second * 1000);
  }
  return cachedValue;
}
