#!/usr/bin/env node
// Tokenizes .nubes files with the TextMate grammar, using the engine VS Code and Shiki use
// (vscode-textmate on the Oniguruma regex library compiled to WebAssembly). Run it through
// scripts/textmate, which installs both packages and puts them on NODE_PATH.
//
//   tokenize.js tokenize [--grammar G] FILE...
//       For each file, a line `# file: FILE`, then one line per token:
//       `LINE:FIRST-LAST<TAB>TEXT<TAB>SCOPES`, where LINE is 1-based, FIRST and LAST are the
//       1-based columns of the token's first and last character (counted in Unicode code
//       points), TEXT is the token as a JSON string and SCOPES its scopes, outermost first,
//       separated by spaces. Empty tokens are left out.
//   tokenize.js check [GRAMMAR...]
//       Compiles every regex of each grammar (vscode-textmate compiles a rule's regexes only
//       when the rule is first reached) and checks every `include` names a rule that exists.
//       Exits 1 listing the problems.
//
// G and GRAMMAR default to nubes.tmLanguage.json next to this script.
'use strict';

const fs = require('fs');
const path = require('path');
const oniguruma = require('vscode-oniguruma');
const vsctm = require('vscode-textmate');

const DEFAULT_GRAMMAR = path.join(__dirname, 'nubes.tmLanguage.json');

function fail(message) {
    process.stderr.write(`tokenize.js: ${message}\n`);
    process.exit(1);
}

async function loadOniguruma() {
    const wasm = fs.readFileSync(path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    return {
        createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
        createOnigString: (text) => new oniguruma.OnigString(text),
    };
}

async function loadGrammar(onigLib, grammarPath) {
    const text = fs.readFileSync(grammarPath, 'utf8');
    const raw = vsctm.parseRawGrammar(text, grammarPath);
    const registry = new vsctm.Registry({
        onigLib: Promise.resolve(onigLib),
        loadGrammar: async (scopeName) => (scopeName === raw.scopeName ? raw : null),
    });
    const grammar = await registry.loadGrammar(raw.scopeName);
    if (!grammar) {
        fail(`${grammarPath}: vscode-textmate could not load the grammar`);
    }
    return grammar;
}

// The 1-based code point column of every UTF-16 index of `line`, and one past its end.
function columns(line) {
    const column = new Array(line.length + 1);
    let current = 1;
    for (let index = 0; index < line.length; index++) {
        column[index] = current;
        const code = line.charCodeAt(index);
        const high = code >= 0xd800 && code <= 0xdbff && index + 1 < line.length;
        if (high) {
            index++;
            column[index] = current;
        }
        current++;
    }
    column[line.length] = current;
    return column;
}

function tokenizeFile(grammar, file, text) {
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') {
        lines.pop();
    }
    const out = [`# file: ${file}`];
    let state = vsctm.INITIAL;
    lines.forEach((rawLine, index) => {
        const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
        const result = grammar.tokenizeLine(line, state);
        if (result.stoppedEarly) {
            fail(`${file}:${index + 1}: tokenizing stopped early`);
        }
        const column = columns(line);
        for (const token of result.tokens) {
            const end = Math.min(token.endIndex, line.length);
            if (token.startIndex >= end) {
                continue;
            }
            const piece = line.slice(token.startIndex, end);
            const first = column[token.startIndex];
            const last = column[end] - 1;
            out.push(`${index + 1}:${first}-${last}\t${JSON.stringify(piece)}\t${token.scopes.join(' ')}`);
        }
        state = result.ruleStack;
    });
    return out.join('\n') + '\n';
}

// Every problem of a grammar that vscode-textmate would only meet when a rule is reached.
function checkGrammar(grammarPath) {
    const problems = [];
    let raw;
    try {
        raw = JSON.parse(fs.readFileSync(grammarPath, 'utf8'));
    } catch (error) {
        return [`${grammarPath}: ${error.message}`];
    }
    const repository = raw.repository || {};
    const visit = (node, where) => {
        if (Array.isArray(node)) {
            node.forEach((item, index) => visit(item, `${where}[${index}]`));
            return;
        }
        if (node === null || typeof node !== 'object') {
            return;
        }
        for (const [key, value] of Object.entries(node)) {
            const here = where ? `${where}.${key}` : key;
            if (['match', 'begin', 'end', 'while'].includes(key) && typeof value === 'string') {
                try {
                    new oniguruma.OnigScanner([value]).dispose();
                } catch (error) {
                    problems.push(`${grammarPath}: ${here}: ${JSON.stringify(value)}: ${error.message || error}`);
                }
            } else if (key === 'include' && typeof value === 'string') {
                const known = value === '$self' || value === '$base'
                    || (value.startsWith('#') && Object.prototype.hasOwnProperty.call(repository, value.slice(1)));
                if (!known) {
                    problems.push(`${grammarPath}: ${here}: no rule named ${JSON.stringify(value)}`);
                }
            } else if (key !== 'comment') {
                visit(value, here);
            }
        }
    };
    visit(raw, '');
    return problems;
}

async function main(args) {
    const command = args.shift();
    const onigLib = await loadOniguruma();
    if (command === 'check') {
        const grammars = args.length > 0 ? args : [DEFAULT_GRAMMAR];
        const problems = grammars.flatMap(checkGrammar);
        if (problems.length > 0) {
            fail(`the grammar has problems:\n${problems.join('\n')}`);
        }
        for (const grammarPath of grammars) {
            // Loading compiles the top-level rules once more, the way an editor does.
            const grammar = await loadGrammar(onigLib, grammarPath);
            grammar.tokenizeLine('', vsctm.INITIAL);
        }
        return;
    }
    if (command !== 'tokenize') {
        fail('usage: tokenize.js tokenize [--grammar G] FILE... | check [GRAMMAR...]');
    }
    let grammarPath = DEFAULT_GRAMMAR;
    if (args[0] === '--grammar') {
        grammarPath = args[1];
        args = args.slice(2);
    }
    if (!grammarPath || args.length === 0) {
        fail('usage: tokenize.js tokenize [--grammar G] FILE...');
    }
    const grammar = await loadGrammar(onigLib, grammarPath);
    for (const file of args) {
        let text;
        try {
            text = fs.readFileSync(file, 'utf8');
        } catch (error) {
            fail(`cannot read ${file}: ${error.message}`);
        }
        let tokens;
        try {
            tokens = tokenizeFile(grammar, file, text);
        } catch (error) {
            fail(`${file}: ${error.message}\n(scripts/textmate check ${grammarPath} names the broken regex)`);
        }
        process.stdout.write(tokens);
    }
}

main(process.argv.slice(2)).catch((error) => fail(error && error.stack ? error.stack : String(error)));
