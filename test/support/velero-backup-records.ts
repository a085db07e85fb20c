// The records Velero v1.18 uploads with a backup and serves through DownloadRequests (uncompressed here):
// - the backup log, logrus text (pkg/util/logging): time, level, msg, then the other fields sorted, each value
//   quoted Go %q style when it holds anything but letters, digits and -._/@^+; logSource is the log call's file;
// - the results, from the log's error lines (pkg/util/logging/log_counter_hook.go): " resource: /.. name: /..
//   message: /.. error: /..", filed under errors.velero when the line has no namespace field;
// - the resource list (pkg/backup/backed_up_items_map.go): group/version/kind -> sorted [namespace/]name of
//   every item marked backed up, which includes a pod a failed onError=Fail pre hook left out of the tarball
//   (backup.go flags it backed up so that it is skipped).
import type { HookExecution, HookPhase } from './velero-hooks.ts';

export interface BackupRecordFiles {
  log: string;
  results: string;
  resourceList: string;
}

const PODEXEC = 'pkg/podexec/pod_command_executor.go';
const PODEXEC_FILE = `/go/src/github.com/vmware-tanzu/velero/${PODEXEC}`;
const PODEXEC_PACKAGE = 'github.com/vmware-tanzu/velero/pkg/podexec';

/** Errors made with cockroachdb/errors carry a stack: logrus then adds where they were made. */
const ERROR_ORIGINS: [RegExp, string, string][] = [
  [/^need at least 1 container$/, `${PODEXEC_FILE}:198`, `${PODEXEC_PACKAGE}.setDefaultHookContainer`],
  [/^no such container: /, `${PODEXEC_FILE}:193`, `${PODEXEC_PACKAGE}.ensureContainerExists`],
  [
    /^command is required$/,
    `${PODEXEC_FILE}:103`,
    `${PODEXEC_PACKAGE}.(*defaultPodCommandExecutor).ExecutePodCommand`,
  ],
  [
    /^timed out after /,
    `${PODEXEC_FILE}:177`,
    `${PODEXEC_PACKAGE}.(*defaultPodCommandExecutor).ExecutePodCommand`,
  ],
];

type Fields = Record<string, string | undefined>;

const GO_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** Go's %q of a string (printable characters kept as they are). */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += GO_ESCAPES[ch] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch);
  }
  return `${out}"`;
}

function logfmtValue(value: string): string {
  return /^[A-Za-z0-9\-._/@^+]*$/.test(value) ? value : goQuote(value);
}

/** metav1.Duration printed with %v. */
const goDurationStruct = (duration: string) => `{${duration}}`;

/** What one backup run leaves in object storage, written as the stand-in walks its items. */
export class BackupRecorder {
  private readonly lines: string[] = [];
  private readonly errors: string[] = [];
  private readonly items = new Map<string, Set<string>>();

  constructor(
    /** namespace/name of the Backup: every line of its log carries it. */
    private readonly backup: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.write('info', 'Setting up backup temp file', {}, 'pkg/controller/backup_controller.go:745');
  }

  private write(level: 'info' | 'error', msg: string, fields: Fields, logSource: string): void {
    const all: Fields = { ...fields, backup: this.backup, logSource };
    const origin =
      all.error === undefined ? undefined : ERROR_ORIGINS.find(([re]) => re.test(all.error ?? ''));
    if (origin) Object.assign(all, { 'error.file': origin[1], 'error.function': origin[2] });
    const time = this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const rest = Object.keys(all)
      .filter((k) => all[k] !== undefined)
      .sort()
      .map((k) => `${k}=${logfmtValue(all[k] ?? '')}`);
    this.lines.push(
      [`time=${goQuote(time)}`, `level=${level}`, `msg=${logfmtValue(msg)}`, ...rest].join(' '),
    );
    if (level === 'error') {
      // LogHook: resource, name, message, error, in that order; no line here has a namespace field.
      const parts = [
        fields.resource !== undefined && ` resource: /${fields.resource}`,
        fields.name !== undefined && ` name: /${fields.name}`,
        ` message: /${msg}`,
        fields.error !== undefined && ` error: /${fields.error}`,
      ];
      this.errors.push(parts.filter((p) => p !== false).join(''));
    }
  }

  /** The log lines of one pod's hook executions (item_hook_handler.go, pod_command_executor.go). */
  hooks(executions: readonly HookExecution[]): void {
    for (const { run, timeout, loggedOnError, started, stdout, podPhase } of executions) {
      const annotation = run.source === 'annotation';
      const base = { hookSource: run.source, hookType: 'exec', hookPhase: run.phase };
      const exec = {
        ...base,
        hookName: annotation ? '<from-annotation>' : run.hookName,
        hookContainer: run.container,
        hookCommand: `[${run.command.join(' ')}]`,
        hookOnError: loggedOnError,
        hookTimeout: goDurationStruct(timeout),
      };
      if (podPhase) {
        this.write(
          'info',
          `Pod entered phase ${podPhase} before some post-backup exec hooks ran`,
          exec,
          `${PODEXEC}:129`,
        );
      }
      if (started) this.write('info', 'running exec hook', exec, `${PODEXEC}:133`);
      if (stdout !== undefined) {
        this.write('info', `stdout: ${stdout}`, exec, `${PODEXEC}:180`);
        this.write('info', 'stderr: ', exec, `${PODEXEC}:181`);
      }
      if (run.outcome === 'failed') {
        const line = annotation ? 239 : 288;
        this.write(
          'error',
          'Error executing hook',
          { ...base, error: run.error },
          `internal/hook/item_hook_handler.go:${line}`,
        );
      }
    }
  }

  /** A pod's phase failed with onError=Fail (backup.go): a pre phase leaves the pod out of the tarball. */
  podHooksFailed(phase: HookPhase, pod: string, error: string): void {
    const line = phase === 'pre' ? 856 : 924;
    this.write(
      'error',
      `Error running ${phase} hooks for pod`,
      { name: pod, error },
      `pkg/backup/backup.go:${line}`,
    );
  }

  /** An item marked backed up; `written` false for one skipped as already marked (a left-out pod). */
  item(kind: string, resource: string, namespace: string, name: string, written: boolean): void {
    const key = namespace ? `${namespace}/${name}` : name;
    let list = this.items.get(kind);
    if (!list) this.items.set(kind, (list = new Set()));
    list.add(key);
    const fields = { name, namespace: namespace || undefined, resource };
    if (written) this.write('info', 'Backing up item', fields, 'pkg/backup/item_backupper.go:222');
    else
      this.write(
        'info',
        "Skipping item because it's already been backed up.",
        fields,
        'pkg/backup/item_backupper.go:217',
      );
  }

  /** Another error-level line (an injected failure). */
  error(message: string): void {
    this.write('error', message, {}, 'pkg/controller/backup_controller.go:760');
  }

  files(totalItems: number): BackupRecordFiles {
    this.write(
      'info',
      `Backed up a total of ${totalItems} items`,
      { progress: '' },
      'pkg/backup/backup.go:734',
    );
    const resourceList: Record<string, string[]> = {};
    for (const kind of [...this.items.keys()].sort())
      resourceList[kind] = [...(this.items.get(kind) ?? [])].sort();
    return {
      log: `${this.lines.join('\n')}\n`,
      results: JSON.stringify({
        errors: this.errors.length > 0 ? { velero: this.errors } : {},
        warnings: {},
      }),
      resourceList: JSON.stringify(resourceList),
    };
  }
}
