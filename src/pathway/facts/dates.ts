/** Small date helpers the facts share. */

export function within(date: Date | undefined, since: Date): date is Date {
  return date !== undefined && date.getTime() >= since.getTime();
}

export function notAfter(date: Date | undefined, now: Date): date is Date {
  return date !== undefined && date.getTime() <= now.getTime();
}

export function earliest<T>(items: readonly T[], dateOf: (t: T) => Date | undefined): T | undefined {
  let best: T | undefined;
  let bestTime = Infinity;
  for (const item of items) {
    const d = dateOf(item);
    if (d !== undefined && d.getTime() < bestTime) {
      best = item;
      bestTime = d.getTime();
    }
  }
  return best;
}

export function latestOf<T extends { date?: Date }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const item of items)
    if (best === undefined || (item.date?.getTime() ?? -Infinity) > (best.date?.getTime() ?? -Infinity)) best = item;
  return best;
}
