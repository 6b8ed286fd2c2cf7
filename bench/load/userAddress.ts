/**
 * A loopback address of its own for virtual user `index`: 127.1.0.1, 127.1.0.2, … (Linux routes
 * all of 127.0.0.0/8 to the loopback interface, so a client can bind any of them). Real users come
 * from many addresses, and the server keys its fair queue by address: a load generator whose users
 * all share 127.0.0.1 would be measured as one client holding every place.
 */
export function userAddress(index: number): string {
  const n = index + 1;
  return `127.${1 + ((n >> 16) & 127)}.${(n >> 8) & 255}.${n & 255}`;
}
