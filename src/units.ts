/**
 * Byte counts for people, shared by directory listings and the client's progress bar.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/**
 * Formats a byte count for people: `512 B`, `1.5 KiB`, `20.0 MiB`.
 *
 * @param bytes The count.
 * @returns The text.
 */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

const SIZE_FACTORS: Readonly<Record<string, number>> = {
  "": 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
};

/**
 * Parses a byte count as people write it for log sizes: digits, then optionally K, M or G
 * (binary: 1K is 1024 bytes, as logrotate's `size` reads it), in either case.
 *
 * @param text E.g. `10M`, `512K`, `1G`, `65536`.
 * @returns The byte count, or null when the text is not a size.
 */
export function parseByteSize(text: string): number | null {
  const match = /^(\d{1,15})([KMG]?)$/i.exec(text);
  return match === null ? null : Number(match[1]) * SIZE_FACTORS[match[2].toUpperCase()];
}
