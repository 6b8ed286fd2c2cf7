/**
 * What a node knows, between its looks at Redis, of the work it could claim: enough to skip a
 * round trip that would find nothing. A claim asks Redis only while {@link claimable}; a release
 * asks for a next job only while {@link mayWait}. Each look a script makes (an admission, a claim,
 * a release) tells what it saw; a wake-up from another node saying it made work ("j": a join,
 * "r": a freed slot with work waiting), or a reconnection, makes both true again. A wake-up that
 * came while a call was in flight wins over what the call saw: its look may be older than the work.
 */
export class ClaimLooks {
  #claimable = true;
  #mayWait = true;
  /** Wake-ups saying another node made work, counted so that a call can tell whether one came meanwhile. */
  #workWakes = 0;

  /** False when the last look found nothing to claim and no other node made work since. */
  get claimable(): boolean {
    return this.#claimable;
  }

  /** False when the last look saw no waiting event and no full pool (behind which work may wait). */
  get mayWait(): boolean {
    return this.#mayWait;
  }

  /** Another node made work. */
  workMade(): void {
    this.#workWakes++;
    this.#claimable = this.#mayWait = true;
  }

  /** The connection came back: what this node knew is a guess now. */
  forget(): void {
    this.#claimable = this.#mayWait = true;
  }

  /** Taken before a call that looks: {@link looked} compares it with the wake-ups since. */
  mark(): number {
    return this.#workWakes;
  }

  /**
   * A call's look: `claimed` whether it claimed a job, `claimable` whether a claim could succeed
   * now (after a look not made: maybe), `mayWait` whether it saw a waiting event or a full pool.
   * A claim made leaves more to claim only if work may wait.
   */
  looked(claimed: boolean, claimable: boolean, mayWait: boolean, mark: number): void {
    const woken = this.#workWakes !== mark;
    this.#claimable = claimable || (claimed && mayWait) || woken;
    this.#mayWait = mayWait || woken;
  }
}
