// The stand-in's Schedule handling, after Velero v1.18's schedule controller. Paused Schedules are ignored
// altogether (Velero filters them out before reconciling). Velero re-validates on every spec change, writes
// `spec.skipImmediately` back as false, and patches only when the phase (or the skip fields) changed, so
// `validationErrors` follow phase flips only. Backups are created on request (runSchedule) or, with autoFire,
// at the cron times.
import { nextRun, parseStandard, validateSchedule } from './robfig-cron.ts';
import { describeError, type StandInContext } from './standin-context.ts';
import { scheduledBackup } from './velero-schedule.ts';
import { LABEL_SCHEDULE_NAME, metaTime, type VeleroBackup, type VeleroSchedule } from './velero-types.ts';

/** Velero's overlap check looks at these phases only (not Queued or ReadyToStart). */
const UNFINISHED = [undefined, 'New', 'InProgress'];
/** How soon autoFire retries a blocked or failed run (Velero re-checks every minute, or backs off on errors). */
const BLOCKED_RETRY_MS = 1000;

export class ScheduleController {
  private readonly generations = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private chain = Promise.resolve();

  constructor(
    private readonly ctx: StandInContext,
    private readonly autoFire: boolean,
  ) {}

  onEvent(type: string, schedule: VeleroSchedule): void {
    const { name, generation } = schedule.metadata;
    if (type === 'DELETED' || schedule.spec?.paused) {
      this.clearTimer(name);
      if (type === 'DELETED') this.generations.delete(name);
      else this.generations.set(name, -1); // reconcile again once unpaused
      return;
    }
    if (this.generations.get(name) === generation) return;
    this.generations.set(name, generation ?? 0);
    this.background(() => this.reconcileAndArm(name));
  }

  stop(): Promise<void> {
    for (const name of [...this.timers.keys()]) this.clearTimer(name);
    return this.chain;
  }

  /** Reconciles run one at a time, so runSchedule and watch events never interleave their patches. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.then(
      () => undefined,
      (err: unknown) => {
        if (!this.ctx.stopped) this.ctx.record('error', 'schedules', describeError(err));
      },
    );
    return result;
  }

  /** For watch events and timers: failures are already in the event log. */
  private background(work: () => Promise<unknown>): void {
    this.serially(work).catch(() => undefined);
  }

  /** Validates and records the phase; returns the live Schedule when it is Enabled and not paused. */
  private async reconcile(name: string): Promise<VeleroSchedule | undefined> {
    const schedule = await this.ctx.retry(() => this.ctx.api.get<VeleroSchedule>('schedules', name));
    if (!schedule || schedule.spec.paused || this.ctx.stopped) return undefined;
    const errors = validateSchedule(schedule.spec.schedule);
    const phase = errors.length > 0 ? 'FailedValidation' : 'Enabled';
    const status: Record<string, unknown> = {};
    const spec: Record<string, unknown> = {};
    if (schedule.spec.skipImmediately !== false) {
      spec.skipImmediately = false;
      if (schedule.spec.skipImmediately) status.lastSkipped = metaTime(new Date());
    }
    if (phase !== schedule.status?.phase) status.phase = phase;
    const unchanged = Object.keys(status).length + Object.keys(spec).length === 0;
    if (unchanged) return phase === 'Enabled' ? schedule : undefined;
    if (JSON.stringify(errors) !== JSON.stringify(schedule.status?.validationErrors ?? [])) {
      status.validationErrors = errors.length > 0 ? errors : null;
    }
    const patched = await this.ctx.retry(() =>
      this.ctx.api.mergePatch<VeleroSchedule>('schedules', name, { spec, status }),
    );
    if (!patched) return undefined;
    this.generations.set(name, patched.metadata.generation ?? 0);
    if (status.phase)
      this.ctx.record('schedule', name, `${phase}${errors.length ? `: ${errors.join('; ')}` : ''}`);
    return phase === 'Enabled' ? patched : undefined;
  }

  private async reconcileAndArm(name: string): Promise<void> {
    const schedule = await this.reconcile(name);
    if (schedule && this.autoFire) this.arm(schedule);
  }

  /** The Backup Velero's schedule controller would create at `at`; undefined when Velero would create none. */
  run(name: string, at: Date): Promise<VeleroBackup | undefined> {
    return this.serially(async () => {
      const live = await this.ctx.retry(() => this.ctx.api.get<VeleroSchedule>('schedules', name));
      if (!live) throw new Error(`Schedule ${this.ctx.namespace}/${name} does not exist`);
      if (live.spec.paused) {
        this.ctx.record('schedule', name, 'paused: no backup');
        return undefined;
      }
      const schedule = await this.reconcile(name);
      return schedule && this.submit(schedule, at);
    });
  }

  /** submitBackup, after Velero's check that no backup of this Schedule is unfinished. */
  private async submit(schedule: VeleroSchedule, at: Date): Promise<VeleroBackup | undefined> {
    const { name } = schedule.metadata;
    const selector = `${LABEL_SCHEDULE_NAME}=${name}`;
    const { items } = await this.ctx.retry(() => this.ctx.api.list<VeleroBackup>('backups', selector));
    const unfinished = items.find((b) => UNFINISHED.includes(b.status?.phase));
    if (unfinished) {
      this.ctx.record(
        'schedule',
        name,
        `due, but backup ${unfinished.metadata.name} is unfinished: no backup`,
      );
      if (this.autoFire) this.arm(schedule, BLOCKED_RETRY_MS);
      return undefined;
    }
    const created = await this.ctx.retry(() => this.ctx.api.create('backups', scheduledBackup(schedule, at)));
    const patched = await this.ctx.retry(() =>
      this.ctx.api.mergePatch<VeleroSchedule>('schedules', name, { status: { lastBackup: metaTime(at) } }),
    );
    this.ctx.record('schedule', name, `created backup ${created.metadata.name}`);
    if (patched && this.autoFire) this.arm(patched);
    return created;
  }

  private clearTimer(name: string): void {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
  }

  /** getNextRunTime: the next tick after the last backup (else creation), or after a later skip. */
  private nextRunTime(schedule: VeleroSchedule): Date | undefined {
    const { lastBackup, lastSkipped } = schedule.status ?? {};
    let from = new Date(lastBackup ?? String(schedule.metadata.creationTimestamp));
    if (lastSkipped && new Date(lastSkipped) > from) from = new Date(lastSkipped);
    return nextRun(parseStandard(schedule.spec.schedule), from);
  }

  /** autoFire: a timer at the next run time; firing re-reads the Schedule and fires only if still due. */
  private arm(schedule: VeleroSchedule, minDelayMs = 0): void {
    const { name } = schedule.metadata;
    this.clearTimer(name);
    if (this.ctx.stopped) return;
    const next = this.nextRunTime(schedule);
    if (!next) return this.ctx.record('schedule', name, 'never due');
    const fire = () => {
      this.timers.delete(name);
      this.background(async () => {
        try {
          const live = await this.reconcile(name);
          if (!live) return;
          const due = this.nextRunTime(live);
          if (due && Date.now() > due.getTime()) await this.submit(live, new Date());
          else this.arm(live);
        } catch (err) {
          // Like a failed reconcile in Velero: tried again later rather than never.
          this.arm(schedule, BLOCKED_RETRY_MS);
          throw err;
        }
      });
    };
    const delay = Math.max(minDelayMs, next.getTime() - Date.now() + 1);
    this.timers.set(name, setTimeout(fire, delay).unref());
  }
}
