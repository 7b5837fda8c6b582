// The API client: every call carries the bearer token kept in
// sessionStorage (this tab only), if there is one; a 401 asks for it. A
// server started with --no-auth never answers 401, so the explorer never
// asks.

const tokenKey = 'breachpath.token';

export class Unauthorized extends Error {}

export function token(): string | null {
  return sessionStorage.getItem(tokenKey);
}

export function setToken(t: string): void {
  sessionStorage.setItem(tokenKey, t);
}

export function forgetToken(): void {
  sessionStorage.removeItem(tokenKey);
}

function headers(): HeadersInit {
  const t = token();
  return t ? { Authorization: 'Bearer ' + t, Accept: 'application/json' } : { Accept: 'application/json' };
}

async function failure(res: Response): Promise<Error> {
  if (res.status === 401) return new Unauthorized('the token was refused');
  try {
    const body = await res.json();
    return new Error(`${res.status} ${body?.error?.code ?? ''}: ${body?.error?.message ?? res.statusText}`);
  } catch {
    return new Error(`${res.status} ${res.statusText}`);
  }
}

/** authMode asks /healthz whether the API wants a bearer token ("bearer")
 * or not ("none", serve --no-auth); "bearer" when it cannot tell. */
export async function authMode(): Promise<string> {
  try {
    const res = await fetch('/healthz', { headers: { Accept: 'application/json' } });
    const body = (await res.json()) as { auth?: string };
    return body.auth ?? 'bearer';
  } catch {
    return 'bearer';
  }
}

/** get fetches an API path (under /api/v1) as JSON. */
export async function get<T>(path: string, params?: Record<string, string | string[] | undefined>): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === '') continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  }
  const qs = q.toString();
  const res = await fetch('/api/v1' + path + (qs ? '?' + qs : ''), { headers: headers() });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** download fetches an API path and saves the body as a file. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await fetch('/api/v1' + path, { headers: headers() });
  if (!res.ok) throw await failure(res);
  const cd = res.headers.get('Content-Disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(cd)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface NodeSummary {
  id: string; kind: string; cloud?: string; native_type?: string; name?: string; account?: string; region?: string;
  sensitivity: string; crown_jewel?: boolean; stub?: boolean; stale?: boolean; paths: number;
}
export interface Finding {
  id: string; rule_id: string; resource: string; severity: string; title: string; evidence?: string; remediation?: string;
  controls?: string[]; priority: number; on_path: boolean; paths: number; owner?: string; resource_name?: string;
  conditional?: boolean;
}
export interface NodeDetail extends NodeSummary {
  service?: string; tags?: Record<string, string>; props?: Record<string, unknown>; findings: Finding[]; degree: number;
}
export interface PathSummary {
  id: string; source: string; source_name?: string; source_kind: string; target: string; target_name?: string;
  target_kind: string; target_sensitivity: string; hop_count: number; risk: number; likelihood: number; reach: number;
  finding_count: number; clouds: string[]; accounts: string[]; techniques: string[]; stale?: boolean; conditional?: boolean;
}
export interface Hop {
  from: string; to: string; from_kind: string; to_kind: string; from_name?: string; to_name?: string; kind: string;
  technique: string; likelihood: number; evidence?: string[]; findings?: string[]; conditional?: boolean; stale?: boolean;
  tag_step?: string; explanation: string;
}
export interface AdminReach { principal: string; admin: string; hops: number; conditional: boolean; chain: string[]; }
export interface AdminPathList { generation: string; target: string; total: number; principals: AdminReach[]; next_cursor?: string; }
export interface Loop { from: number; to: number; members: string[]; }
export interface PathDetail extends PathSummary { hops: Hop[]; findings: Finding[]; nodes: NodeSummary[]; loops?: Loop[]; }
export interface PathList { generation: string; total: number; truncated: boolean; items: PathSummary[]; next_cursor?: string; }
export interface EdgeView { from: string; to: string; kind: string; family: string; technique?: string; findings?: string[]; }
export interface Neighbourhood { center: string; nodes: NodeSummary[]; edges: EdgeView[]; truncated: boolean; }
export interface Step { finding_id: string; rule_id?: string; resource?: string; title?: string; severity: string; remediation?: string; fix_effort: number; paths_removed: number; must_pass?: boolean; }
export interface MustPassHop { id: string; kind: string; name?: string; findings?: string[]; }
export interface MustPass { target: string; target_name?: string; source?: string; hops: MustPassHop[]; entry_findings?: string[]; findings: string[]; }
export interface Plan { steps: Step[]; paths_before: number; paths_after: number; verified: boolean; }
export interface WhatIf { fixed: string[]; removed: string[]; protected_targets: string[]; paths_before: number; paths_after: number; }
export interface Stats { nodes: number; edges: number; paths: number; findings: number; findings_on_path: number; accounts: string[]; }
export interface SearchResult { items: NodeSummary[]; truncated: boolean; }
