// Tokenizes a fixed set of strings with llama.cpp (through node-llama-cpp,
// as ../shared/peers installs it) in each GGUF file given, and prints a JSON
// fixture: for every file, each string's ids with special tokens parsed
// and no BOS/EOS added (common_tokenize(vocab, text, false, true)), which
// model/tokenizer's TestGGUFAgainstLlamaCpp compares with Encode(text, false).
//
// Usage (from a directory whose node_modules holds node-llama-cpp):
//   NODE_PATH=/tmp/peers/node_modules node gguf_tokenize.mjs A.gguf B.gguf > fixture.json
import { createRequire } from "node:module";
import { basename } from "node:path";

const require = createRequire(process.env.NODE_PATH ? process.env.NODE_PATH + "/" : import.meta.url);
const { getLlama, LlamaLogLevel } = await import(require.resolve("node-llama-cpp"));

// ASCII, case, contractions, spaces (leading, runs, tabs, newlines),
// digits, punctuation, unicode (accents, CJK, emoji, combining marks,
// invalid-for-the-vocabulary characters) and special tokens in the text.
const texts = [
  "Hello world", "hello", "Hello", " Hello", "  Hello  world  ", "the thing and the other thing",
  "The quick brown fox jumps over the lazy dog.", "I'm sure it's fine; we've seen they'll do what you'd say.",
  "I DON'T KNOW, YOU'RE RIGHT", "a", " ", "  ", "    ", "\t", "\n", "\n\n", " \n ", "line one\nline two\r\n",
  "\tindented\t\ttabs", "trailing   ", "1", "12", "123", "1234567", "3.14159 and 2,718", "x=1+2*3/4-5",
  "Café résumé naïve façade", "Zürich über", "日本語のテキスト", "你好，世界！", "한국어 텍스트", "Emoji: 😀 👍🏽",
  "e\u0301 combining", "ß and ∑ and €", "<s>Hello</s>", "<|user|>hi<|eot|>", "a<|user|> b", "</s></s>",
  "IMGIMGAZ text <racm3:break>", "hello<pad>world", "<unk>", "worldworld inging", "H", "He said \"hi\"",
  "emoji👨‍👩‍👧 family", "¡Hola! ¿Qué tal?", "tab\tand space \t mix", "end with newline\n",
  "$5+$10=<$15>^~|`", "x  \n\n  y", "    code();", "<sentinel:3> s", "IMGIMGBCZ IMGIMGQZ",
  "2026-12-06 12:34:56", "don't DON'T Don'T", "٣٤٥ ½ ⅔ digits", "a.b,c!d?e…f", "worldwide Worldwide  worldwide",
];

const llama = await getLlama({
  gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false,
  logLevel: LlamaLogLevel.error,
});
const models = [];
for (const path of process.argv.slice(2)) {
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0, vocabOnly: true });
  const cases = texts.map((text) => ({ text, ids: Array.from(model.tokenize(text, true)) }));
  models.push({ file: basename(path), cases });
  await model.dispose();
}
const fixture = { llama_cpp: llama.llamaCppRelease, models };
// One case per line, so a diff shows which strings changed.
const lines = models.map((m) => ` {"file": ${JSON.stringify(m.file)}, "cases": [\n` +
  m.cases.map((c) => "  " + JSON.stringify(c)).join(",\n") + "\n ]}");
process.stdout.write(`{"llama_cpp": ${JSON.stringify(fixture.llama_cpp)}, "models": [\n${lines.join(",\n")}\n]}\n`);
