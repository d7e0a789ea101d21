/**
 * The architecture, checked in CI (`npm run check:architecture`): no import cycles in lib/, and dependencies that
 * point one way, from the composition root down to errors and config. A module may import its own layer or lower.
 */
const LAYERS = [
  // http/same-site.ts only reads request headers: the transfer asks it where a login came from.
  ['foundation', '^lib/(errors|config/|http/same-site\\.ts$)'],
  ['model', '^lib/session/(record|metadata)\\.ts$'],
  ['store', '^lib/store/'],
  ['metrics', '^lib/metrics/'],
  ['tokens', '^lib/tokens/'],
  ['services', '^lib/(session/(options|session-service|creation-limit|binding|token-rotation)|transfer/(types|options|merge-policies|source|session-renewal|transfer-service|drops|leases|pending|hook|report))\\.ts$|^lib/(lifecycle|admin)/'],
  ['http', '^lib/(session/(anonymous-session|middleware|cookie-defaults|require-guest)|transfer/middleware|http/(?!same-site\\.ts$)|strategy/|client/)'],
  ['router', '^lib/router/'],
  ['root', '^lib/(anonymous-sessions|internals|index|augment)\\.ts$|^lib/cli/'],
];

const upward = [];
LAYERS.forEach(([name, path], i) => {
  const higher = LAYERS.slice(i + 1).map(([, p]) => `(${p})`).join('|');
  if (higher) {
    upward.push({
      name: `${name}-imports-upward`,
      comment: `${name} may not depend on a higher layer (${LAYERS.slice(i + 1).map(([n]) => n).join(', ')})`,
      severity: 'error',
      from: { path },
      to: { path: higher },
    });
  }
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'import cycles hide the architecture', severity: 'error', from: { path: '^lib/' }, to: { circular: true } },
    {
      name: 'every-module-has-a-layer',
      comment: 'a new folder in lib/ needs a place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^lib/', pathNot: LAYERS.map(([, p]) => `(${p})`).join('|') },
      to: {},
    },
    ...upward,
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(spec|bench|example-app|dist)/' },
  },
};
