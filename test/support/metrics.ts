/** Reading Prometheus text exposition in tests. */

/** The values of every sample of `name` whose labels include `labels`, in order. */
export function samples(text: string, name: string, labels: Record<string, string>): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = Object.fromEntries([...match[2].matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) {
      values.push(Number(match[3]));
    }
  }
  return values;
}

/** The value of the first such sample, or undefined. */
export function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  return samples(text, name, labels)[0];
}
