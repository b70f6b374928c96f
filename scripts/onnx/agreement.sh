#!/usr/bin/env bash
# Measures the agreement of ONNX Runtime with lstmctl predict on TREC and
# SST-2 (the shared data sets), masked and unmasked (padding before and
# after the text), and masked with word 2-grams and with subwords: trains
# each model with the default architecture and vectors for EPOCHS epochs, exports it, runs predict and
# scripts/onnx/check.mjs on the test texts and prints the model's test
# accuracy and the largest absolute difference of the probabilities.
#
#   scripts/onnx/agreement.sh SHARED_DATA_DIR [EPOCHS] [WORKDIR]
#
# Needs bin/lstmctl (make build) and scripts/onnx/node_modules
# (npm ci --ignore-scripts in scripts/onnx).
set -euo pipefail
data=${1:?usage: agreement.sh SHARED_DATA_DIR [EPOCHS] [WORKDIR]}
epochs=${2:-3}
work=${3:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
lstmctl=${LSTMCTL:-$here/../../bin/lstmctl}
mkdir -p "$work"

sed -E 's/^(__label__[^ ]* )+//' "$data/trec/test.txt" > "$work/trec.txt"
tail -n +2 "$data/sst2/test.tsv" | cut -f2- > "$work/sst2.txt"

for set in trec sst2; do
  case $set in
    trec) train=("--train" "$data/trec/train.txt"); test=$data/trec/test.txt; len=40 ;;
    sst2) train=("--train" "$data/sst2/train.tsv"); test=$data/sst2/test.tsv; len=60 ;;
  esac
  for variant in masked:true:post: unmasked-pre:false:pre: unmasked-post:false:post: \
    ngrams2:true:post:'ngrams: 2' subwords:true:post:'subwords: {min_n: 3, max_n: 6, buckets: 100000}'; do
    IFS=: read -r kind mask pad extra <<< "$variant"
    name=$set-$kind
    m=$work/$name.safetensors
    printf 'model: {mask_padding: %s}\ntext: {pad: %s, sequence_length: %s%s}\n' "$mask" "$pad" "$len" "${extra:+, $extra}" > "$work/$name.yaml"
    "$lstmctl" train --quiet "${train[@]}" --config "$work/$name.yaml" --epochs "$epochs" --model "$m"
    acc=$("$lstmctl" eval --model "$m" --data "$test" --format json | sed -E 's/.*"accuracy": ?([0-9.]+).*/\1/')
    "$lstmctl" export --quiet "$m" -o "$work/$name.onnx"
    "$lstmctl" predict --model "$m" --data-format lines --format jsonl --top-k 100 "$work/$set.txt" > "$work/$name.jsonl"
    printf '%-19s accuracy %.3f, ' "$name" "$acc"
    node "$here/check.mjs" --compare "$work/$name.jsonl" "$work/$name.onnx" "$work/$set.txt" 2>&1 >/dev/null
  done
done
