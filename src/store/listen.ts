/** Adds `listener` to `set`; the function returned takes it out again (an `on…` method's answer). */
export function listen<T>(set: Set<T>, listener: T): () => void {
  set.add(listener);
  return () => set.delete(listener);
}
