#!/usr/bin/env bash
# desktop_test.sh — the native explorer under Xvfb: it starts, loads the default model, runs the
# prompt, draws each panel (screenshots), and reports its state; a bad model path gives an error
# message, not a crash.
set -eu
app=$1 png_stats=$2 out_dir=$3
mkdir -p "$out_dir"
fail() { echo "FAIL: $*"; exit 1; }

run_app() { # run_app NAME VIEW [extra args...]
  local name=$1 view=$2; shift 2
  local shot=$out_dir/desktop_$name.png state=$out_dir/desktop_$name.json
  rm -f "$shot" "$state"
  xvfb-run -a -s "-screen 0 1400x860x24" "$app" --width 1400 --height 860 --frames 5 \
    --screenshot "$shot" --state "$state" --view "$view" --export-dir "$out_dir/exports" "$@"
  read -r width height colours < <("$png_stats" "$shot")
  echo "desktop $name: $shot (${width}x${height}, $colours colours)"
  [ "$width" = 1400 ] && [ "$height" = 860 ] || fail "$name: wrong size"
  # Panels with text, maps and widgets have many colours; a blank window has one or two.
  [ "$colours" -gt 50 ] || fail "$name: the window looks blank"
}

# Each panel, with the default model loaded and the prompt run.
for tab in attention sinks ablation circuits; do
  run_app "$tab" "tab=$tab&head=L1H2&prompt=In the beginning God created the heaven and the earth."
  state=$out_dir/desktop_$tab.json
  grep -q '"model":"attnscope-kjv"' "$state" || fail "$tab: the default model did not load"
  grep -q '"focus":"L1H2"' "$state" || fail "$tab: the view's head was not focused"
  grep -q '"ranPrompt":"In the beginning God created the heaven and the earth."' "$state" ||
    fail "$tab: the view's prompt did not run"
  # The top-level error (the analyses' own "error" fields sit in their objects).
  grep -q '"error":"","errorSerial"' "$state" || fail "$tab: an error was shown: $(grep -o '"error":"[^"]*"' "$state")"
done

# The new analyses (issue 16). Patching: a link to the view names the set-up and sweeps once the
# prompt has run; the screenshot waits for it. Lens: computed when its tab opens. The Sinks panel
# above already shows the massive activations.
grep -q '"massive":{"error":"","layers":\[{' "$out_dir/desktop_sinks.json" ||
  fail "sinks: no massive activations: $(grep -o '"massive":{[^]]*' "$out_dir/desktop_sinks.json")"
clean="In the beginning God created the heaven and the earth. In the beginning God"
corrupted="In the beginning God made the heaven and the earth. In the beginning God"
run_app patching "tab=patching&patch=resid_pre&answer=%20created&distractor=%20made&prompt=$clean&corrupted=$corrupted"
grep -q '"recovered":\[\[' "$out_dir/desktop_patching.json" ||
  fail "patching: no map: $(grep -o '"patching":{[^}]*' "$out_dir/desktop_patching.json")"
run_app patching_heads "tab=patching&patch=head_z&answer=%20created&distractor=%20made&prompt=$clean&swap=4&with=%20made"
grep -q '"cols":\["H0"' "$out_dir/desktop_patching_heads.json" || fail "patching heads: no layer × head map"
run_app lens "tab=lens&head=L1H2&prompt=$clean"
grep -q '"lens":{"dla":\[\[' "$out_dir/desktop_lens.json" ||
  fail "lens: no result: $(grep -o '"lens":{[^}]*' "$out_dir/desktop_lens.json")"

# Generation: a link's generate=N continues its prompt once it has run; the new tokens join the
# prompt, which runs again (the screenshot waits for both).
run_app generate "tab=attention&head=L1H2&prompt=In the beginning God created the heaven&generate=6"
grep -q '"generation":{"error":"","last":"[^"]\+","running":false,"serial":1}' "$out_dir/desktop_generate.json" ||
  fail "generate: no continuation: $(grep -o '"generation":{[^}]*}' "$out_dir/desktop_generate.json")"
grep -q '"ranPrompt":"In the beginning God created the heaven[^"]' "$out_dir/desktop_generate.json" ||
  fail "generate: the continuation did not join the prompt"

# The line view and the mean over a layer's heads.
run_app lines "tab=attention&head=L1H2&view=lines&prompt=In the beginning God created the heaven and the earth. In the beginning God"
run_app layer_mean "tab=attention&head=L1H2&mean=layer"

# The tasks model, named by the view.
run_app tasks "model=attnscope-tasks&tab=attention"
grep -q '"model":"attnscope-tasks"' "$out_dir/desktop_tasks.json" || fail "the tasks model did not load"

# A prompt longer than the model's context is refused with a message; the app stays up.
long=$(printf 'and the %.0s' $(seq 1 400))
run_app long_prompt "prompt=$long"
grep -q '"error":"Running the prompt: ' "$out_dir/desktop_long_prompt.json" ||
  fail "a too-long prompt gave no error: $(grep -o '"error":"[^"]*"' "$out_dir/desktop_long_prompt.json")"

# A session file (ui/app/session.h) opened at start with --session: its model loads instead of the
# default, its prompt runs, its head, tab and ablated heads are on screen (heads the model lacks
# are dropped). A damaged one: one message, and the default view stays.
session=$out_dir/desktop_session_in.json
ioi="When Mary and John went to the store, John gave a drink to"
cat > "$session" <<JSON
{"format": "attnscope-session", "version": 1,
 "model": {"name": "attnscope-tasks", "bundled": true},
 "prompt": {"mode": "text", "text": "$ioi"},
 "view": {"tab": "ablation", "focus": "L1H2"},
 "ablation": {"mode": "zero", "heads": ["L1H2", "L0H3", "L99H0"]}}
JSON
run_app session "" --session "$session"
state=$out_dir/desktop_session.json
grep -q '"model":"attnscope-tasks"' "$state" || fail "session: its model did not load"
grep -q '"focus":"L1H2"' "$state" || fail "session: its head is not focused"
grep -q '"tab":"ablation"' "$state" || fail "session: its tab is not open"
grep -q "\"ranPrompt\":\"$ioi\"" "$state" || fail "session: its prompt did not run"
grep -q '"heads":\["L1H2","L0H3"\]' "$state" || fail "session: ablated heads: $(grep -o '"ablation":{[^]]*' "$state")"
grep -q '"error":"","errorSerial"' "$state" || fail "session: an error was shown: $(grep -o '"error":"[^"]*"' "$state")"
head -c 100 "$session" > "$out_dir/session_broken_in.json"
run_app session_broken "" --session "$out_dir/session_broken_in.json"
grep -q '"error":"session: not valid JSON' "$out_dir/desktop_session_broken.json" ||
  fail "a damaged session gave no message: $(grep -o '"error":"[^"]*"' "$out_dir/desktop_session_broken.json")"
grep -q '"focus":"L0H0"' "$out_dir/desktop_session_broken.json" || fail "a damaged session changed the view"

# A models folder without models: one clear error.
run_app no_models "" --models /nonexistent
grep -q '"error":"no bundled model found' "$out_dir/desktop_no_models.json" || fail "no error for a missing models folder"
echo "desktop: all checks passed"
