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
