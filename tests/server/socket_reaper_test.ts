/**
 * The socket reaper (src/server/socket_reaper.ts): finding an abandoned connection's socket in
 * the kernel's tables by its four addresses. Pure: table text in, inodes out.
 */

import assert from "node:assert/strict";
import { procNetAddress, socketInodes } from "../../src/server/socket_reaper.ts";

Deno.test("procNetAddress() writes addresses as /proc/net/tcp does: 32-bit words in host order, then the port", () => {
  const cases: [string, number, boolean, string | null][] = [
    ["127.0.0.1", 8080, false, "0100007F:1F90"],
    ["10.1.2.3", 443, false, "0302010A:01BB"],
    ["::1", 8080, false, "00000000000000000000000001000000:1F90"],
    ["::", 80, false, "00000000000000000000000000000000:0050"],
    ["2001:db8::5", 1, false, "B80D0120000000000000000005000000:0001"],
    // An IPv4 peer of a dual-stack socket is listed in tcp6 as ::ffff:a.b.c.d.
    ["127.0.0.1", 8080, true, "0000000000000000FFFF00000100007F:1F90"],
    ["::1", 1, true, null],
    ["not an address", 1, false, null],
  ];
  for (const [ip, port, mapped, expected] of cases) {
    assert.equal(procNetAddress(ip, port, mapped), expected, `${ip} ${mapped}`);
  }
});

const TCP =
  `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:D432 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0
   3: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 20 4 30 10 -1
`;

const TCP6 =
  `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D433 01 00000000:00000000 00:00000000 00000000     0        0 2001 1 0 20 4 30 10 -1
   1: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D434 01 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 20 4 30 10 -1
`;

const end = (ip: string, port: number) => ({ ip, port });

Deno.test("socketInodes() finds a connection by both ends, not the listener nor another port's connection", () => {
  const wanted = [{ local: end("127.0.0.1", 8080), remote: end("127.0.0.1", 0xd431) }];
  assert.deepEqual([...socketInodes(TCP, wanted)], ["1002"]);
});

Deno.test("socketInodes() skips TIME_WAIT entries, which are no longer sockets (inode 0)", () => {
  const wanted = [{ local: end("127.0.0.1", 8080), remote: end("127.0.0.1", 0xd432) }];
  assert.deepEqual([...socketInodes(TCP, wanted)], []);
});

Deno.test("socketInodes() finds an IPv4 client of a dual-stack :: socket in tcp6, and IPv6 clients", () => {
  const wanted = [
    { local: end("127.0.0.1", 8080), remote: end("127.0.0.1", 0xd433) },
    { local: end("::1", 8080), remote: end("::1", 0xd434) },
  ];
  assert.deepEqual([...socketInodes(TCP6, wanted)].sort(), ["2001", "2002"]);
});
