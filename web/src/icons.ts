// Node icons: small SVGs built here and used as data URIs, so the explorer
// needs no external asset (and the CSP allows only data: images).

const cloudColours: Record<string, string> = {
  aws: '#ff9900',
  azure: '#2f8fe8',
  gcp: '#34a853',
  '': '#9aa7b5',
};

// A glyph per kind family: a letter or two on a shape that hints the family.
const shapes: Record<string, { shape: 'circle' | 'square' | 'hex' | 'diamond' | 'cyl' | 'globe'; glyph: string }> = {
  Internet: { shape: 'globe', glyph: '' },
  ExternalPrincipal: { shape: 'diamond', glyph: '?' },
  Compute: { shape: 'square', glyph: 'VM' },
  Function: { shape: 'square', glyph: 'λ' },
  Container: { shape: 'square', glyph: 'C' },
  Cluster: { shape: 'hex', glyph: 'K' },
  LoadBalancer: { shape: 'hex', glyph: 'LB' },
  PublicEndpoint: { shape: 'hex', glyph: 'IP' },
  Gateway: { shape: 'hex', glyph: 'GW' },
  Network: { shape: 'hex', glyph: 'N' },
  Subnet: { shape: 'hex', glyph: 'S' },
  FirewallRules: { shape: 'hex', glyph: 'FW' },
  NetworkACL: { shape: 'hex', glyph: 'AC' },
  NetworkInterface: { shape: 'hex', glyph: 'NI' },
  RouteTable: { shape: 'hex', glyph: 'RT' },
  Bucket: { shape: 'cyl', glyph: 'B' },
  Database: { shape: 'cyl', glyph: 'DB' },
  Queue: { shape: 'cyl', glyph: 'Q' },
  Topic: { shape: 'cyl', glyph: 'T' },
  Registry: { shape: 'cyl', glyph: 'R' },
  Snapshot: { shape: 'cyl', glyph: 'SN' },
  Image: { shape: 'cyl', glyph: 'IM' },
  Secret: { shape: 'diamond', glyph: '**' },
  Key: { shape: 'diamond', glyph: 'K' },
  User: { shape: 'circle', glyph: 'U' },
  Group: { shape: 'circle', glyph: 'G' },
  Role: { shape: 'circle', glyph: 'R' },
  ServiceAccount: { shape: 'circle', glyph: 'SA' },
  InstanceProfile: { shape: 'circle', glyph: 'IP' },
  Policy: { shape: 'square', glyph: 'P' },
  Account: { shape: 'square', glyph: 'A' },
  Organization: { shape: 'square', glyph: 'O' },
  OrgUnit: { shape: 'square', glyph: 'OU' },
  ResourceGroup: { shape: 'square', glyph: 'RG' },
};

function outline(shape: string, fill: string): string {
  const stroke = `fill="${fill}" stroke="#0b0f14" stroke-width="2"`;
  switch (shape) {
    case 'circle':
      return `<circle cx="32" cy="32" r="28" ${stroke}/>`;
    case 'globe':
      // No emoji: headless and minimal systems lack the fonts.
      return `<circle cx="32" cy="32" r="28" ${stroke}/><g fill="none" stroke="#10161d" stroke-width="2.5">` +
        `<ellipse cx="32" cy="32" rx="12" ry="27"/><line x1="5" y1="32" x2="59" y2="32"/>` +
        `<path d="M9 19 H55 M9 45 H55"/><line x1="32" y1="4" x2="32" y2="60"/></g>`;
    case 'hex':
      return `<polygon points="32,3 57,17.5 57,46.5 32,61 7,46.5 7,17.5" ${stroke}/>`;
    case 'diamond':
      return `<polygon points="32,3 61,32 32,61 3,32" ${stroke}/>`;
    case 'cyl':
      return `<path d="M6 14 C6 4 58 4 58 14 L58 50 C58 60 6 60 6 50 Z" ${stroke}/><path d="M6 14 C6 24 58 24 58 14" fill="none" stroke="#0b0f14" stroke-width="2"/>`;
    default:
      return `<rect x="5" y="5" width="54" height="54" rx="10" ${stroke}/>`;
  }
}

const cache = new Map<string, string>();

/** iconFor returns a data URI of the icon of a node kind in a cloud. */
export function iconFor(kind: string, cloud: string | undefined): string {
  const key = kind + '|' + (cloud ?? '');
  const hit = cache.get(key);
  if (hit) return hit;
  const s = shapes[kind] ?? { shape: 'square', glyph: kind.slice(0, 2) };
  const fill = cloudColours[cloud ?? ''] ?? cloudColours[''];
  const size = s.glyph.length > 1 ? 20 : 26;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">` +
    outline(s.shape, fill) +
    `<text x="32" y="${s.shape === 'cyl' ? 41 : 40}" text-anchor="middle" font-family="Arial, sans-serif" font-weight="700" font-size="${size}" fill="#10161d">${s.glyph}</text>` +
    `</svg>`;
  const uri = 'data:image/svg+xml;utf8,' + encodeURIComponent(svg);
  cache.set(key, uri);
  return uri;
}

/** cloudColour is the colour the legend and tags use for a cloud. */
export function cloudColour(cloud: string | undefined): string {
  return cloudColours[cloud ?? ''] ?? cloudColours[''];
}
