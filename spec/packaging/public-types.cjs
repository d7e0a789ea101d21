// The published types show the public surface only. Starting from what dist/index.d.ts exports, follow every type
// the declarations mention (members, parameters, return types, bases), and fail if any of them is an internal:
// a key ring, a resolved key, a service (the way `anon.options.tokens.accessKeys` once reached a private key).
const { resolve } = require('node:path');
const ts = require('typescript');

const FORBIDDEN = new Set(['KeyRing', 'ResolvedKey', 'ResolvedTokenOptions', 'ResolvedSessionOptions', 'ResolvedTransferOptions', 'SessionService', 'TokenService', 'TransferService', 'CreationLimiter', 'SessionBinding', 'Internals', 'GuestHandle', 'HandleServices', 'AdminService', 'AdminDependencies', 'Reaper', 'LifecycleEmitter', 'MemoryGuests', 'RedisGuests', 'RedisExpiry', 'Buckets', 'IndexHost', 'RedisClaim', 'MemoryClaim', 'ResolvedReaperOptions']);
const entry = resolve(__dirname, '../../dist/index.d.ts');
const program = ts.createProgram([entry], { strict: true, types: ['node'], module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 });
const checker = program.getTypeChecker();
const ours = (decl) => !decl.getSourceFile().fileName.includes('node_modules');
const seen = new Set();
const leaks = [];

function visitSymbol(symbol, path) {
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  for (const decl of symbol.declarations ?? []) {
    if (!ours(decl) || seen.has(decl)) continue;
    seen.add(decl);
    const name = symbol.getName();
    if (FORBIDDEN.has(name)) leaks.push(`${path.join(' → ')} → ${name}`);
    visitNode(decl, [...path, name]);
  }
}

function visitNode(node, path) {
  // Private members are emitted without types: nothing behind them is reachable.
  if (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return;
  if (ts.isTypeReferenceNode(node) || ts.isImportTypeNode(node) || ts.isExpressionWithTypeArguments(node) || ts.isTypeQueryNode(node)) {
    const type = checker.getTypeAtLocation(node);
    const named = ts.isTypeReferenceNode(node) ? checker.getSymbolAtLocation(node.typeName) : ts.isExpressionWithTypeArguments(node) ? checker.getSymbolAtLocation(node.expression) : undefined;
    for (const symbol of [named, type.aliasSymbol, type.getSymbol()]) if (symbol) visitSymbol(symbol, path);
  }
  ts.forEachChild(node, (child) => visitNode(child, path));
}

const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
for (const exported of checker.getExportsOfModule(moduleSymbol)) visitSymbol(exported, []);
if (leaks.length) {
  console.error(`The public types reach internals:\n  ${leaks.join('\n  ')}`);
  process.exit(1);
}
console.log(`public types ok: ${seen.size} declarations reachable from dist/index.d.ts, none internal`);
