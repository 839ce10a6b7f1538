// actions.cpp — loading models, running the prompt, ablation and calibration effects.
#include "ui/app/actions.h"

#include <chrono>
#include <cstdio>

#include "core/analysis/prompt.h"
#include "core/gpu/automatic_backend.h"
#include "core/gpu/shared_webgpu.h"
#include "core/gpu/webgpu_backend.h"
#include "core/ops/amx_gemm.h"
#include "ui/app/host.h"
#include "ui/app/session.h"

namespace attnscope::ui {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string hex_bytes(const std::string& bytes) {
  std::string out;
  char buf[4];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    if (!out.empty()) out += ' ';
    out += buf;
  }
  return out;
}

// The tensor's last row as [1, cols].
Tensor last_row(const Tensor& logits) {
  const std::size_t rows = logits.shape()[0], cols = logits.shape()[1];
  Tensor out = xt::zeros<float>({std::size_t(1), cols});
  std::copy(logits.data() + (rows - 1) * cols, logits.data() + rows * cols, out.data());
  return out;
}

}  // namespace

const std::vector<std::string>& model_file_names() {
  static const std::vector<std::string> names = {"config.json", "model.safetensors",
                                                 "tokenizer.json"};
  return names;
}

std::string export_file_name(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || u >= 0x80)
      out += c;
    else if (!out.empty() && out.back() != '_')
      out += '_';  // spaces, slashes, quotes, ...: one underscore for a run of them
  }
  while (!out.empty() && (out.back() == '_' || out.back() == '.')) out.pop_back();
  return out.empty() ? "attnscope-export" : out;
}

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> names = {"induction", "ioi", "greater_than", "docstring"};
  return names;
}

const std::vector<std::string>& task_file_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const std::string& task : task_names()) {
      out.push_back(task + "_positive.jsonl");
      out.push_back(task + "_negative.jsonl");
    }
    out.push_back("ground_truth.json");
    return out;
  }();
  return names;
}

void set_status(AppState& state, std::string message) {
  state.status = std::move(message);
}

void set_error(AppState& state, std::string message, std::string source) {
  state.error = std::move(message);
  state.error_source = std::move(source);
  state.error_serial++;
}

void open_initial_view(AppState& state, const std::string& query) {
  apply_view_query(state, query);
  if (state.bundled.empty()) return set_error(state, "no bundled model found; open your own");
  std::string start_model = state.bundled.front().name;
  bool found = state.model_name.empty();
  for (const ModelEntry& entry : state.bundled)
    if (entry.name == state.model_name) start_model = entry.name, found = true;
  // Said after the model has loaded (a successful load clears older errors).
  if (!found)
    state.start_notice = "the link names the model '" + state.model_name +
                         "', which is not bundled here: showing " + start_model +
                         " (open your own model to use it)";
  load_bundled_model(state, start_model);
}

// Requests are named "model:NAME#k" / "tasks#k": files of two requests under way at once (two
// clicks) never mix.
void load_bundled_model(AppState& state, const std::string& name) {
  state.load_progress = 0;
  state.load_stage = "fetching " + name;
  state.model_requested = name;
  state.model_choice = ++state.request_serial;
  const std::string request = "model:" + name + "#" + std::to_string(state.model_choice);
  state.host->request_bundled(state, request, name, model_file_names());
}

void ensure_task_files(AppState& state) {
  if (!state.task_files.empty() || state.task_files_requested) return;
  state.task_files_requested = true;
  const std::string request = "tasks#" + std::to_string(++state.request_serial);
  state.host->request_bundled(state, request, "tasks", task_file_names());
}

namespace {

// The serial a request's name ends in ("model:NAME#12" → 12), or -1 for the user's own files
// ("model:NAME#upload3"), which are chosen the moment they arrive.
int request_number(const std::string& request) {
  const std::string tail = request.substr(request.rfind('#') + 1);
  if (tail.empty() || tail.size() > 9 || !std::all_of(tail.begin(), tail.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      }))
    return -1;
  return std::stoi(tail);
}

// True for a bundled model's files requested before the user chose another model.
bool superseded(const AppState& state, const std::string& request) {
  const int number = request_number(request);
  return request.rfind("model:", 0) == 0 && number >= 0 && number < state.model_choice;
}

}  // namespace

void load_progress(AppState& state, const std::string& request, double fraction,
                   const std::string& stage) {
  if (superseded(state, request)) return;
  state.load_progress = float(std::clamp(fraction, 0.0, 1.0));
  state.load_stage = stage;
}

namespace {

// Where a model went, and why there: `note` warns that WebGPU, named, could not be had;
// `reason` says why Automatic chose the CPU.
struct Placement {
  std::string note, reason;
};

// `model` on the chosen backend. On a job's thread: the browser's GPU device answers there, not
// on the page's main thread.
Model on_chosen_backend(const Model& model, BackendChoice choice, Placement* placement) {
  *placement = {};
  std::string why;
  if (choice == BackendChoice::cpu) return bind_or_fall_back(model, default_backend(), &why);
  const bool automatic = choice == BackendChoice::automatic;
  Model bound =
      bind_to_webgpu(model, automatic ? AdapterRule::hardware_only : AdapterRule::any, &why);
  if (why.empty()) return bound;
  // Automatic landing on the CPU is a choice, said in grey; WebGPU named and not had, a warning.
  if (automatic)
    placement->reason = "Automatic chose the CPU, because " + why + ".";
  else
    placement->note = "WebGPU was chosen, but the model runs on the CPU, because " + why + ".";
  return bound;
}

}  // namespace

void choose_backend(AppState& state, BackendChoice choice) {
  state.backend_choice = choice;
  if (!state.model) return;
  auto from = state.model;
  auto moved = std::make_shared<std::optional<Model>>();
  auto placement = std::make_shared<Placement>();
  const char* title = choice == BackendChoice::webgpu ? "Moving the model to WebGPU"
                      : choice == BackendChoice::cpu  ? "Moving the model to the CPU"
                                                      : "Choosing where the model runs";
  state.jobs.start(make_job(
      title,
      [from, moved, placement, choice](Job&) {
        moved->emplace(on_chosen_backend(*from, choice, placement.get()));
        return std::string();
      },
      [from, moved, placement, choice](AppState& s) {
        if (s.model != from) {  // another model arrived meanwhile: move that one instead
          if (s.model && s.backend_choice == choice) choose_backend(s, choice);
          return;
        }
        s.model = std::make_shared<const Model>(std::move(**moved));
        s.backend_note = placement->note;
        s.backend_reason = placement->reason;
        set_status(s, "running on " + backend_label(s));
        if (!placement->note.empty()) set_error(s, placement->note);
        run_prompt(s);
      }));
}

std::string backend_label(const AppState& state) {
  if (!state.model) return {};
  const Backend& b = state.model->backend();
  const std::string adapter = webgpu_adapter_name(b);
  // On a CPU with AMX, F32 weights are multiplied as bf16x3 tile products (core/ops/amx_gemm.h).
  const bool tiles = b.host_memory() && b.name() == "cpu-simd" && amx::products_on_tiles();
  return std::string(b.name()) + (tiles ? " (AMX bf16x3)" : "") +
         (adapter.empty() ? "" : ": " + adapter);
}

void deliver_files(AppState& state, const std::string& request,
                   Result<std::shared_ptr<const FileSource>> files) {
  const std::string kind = request.substr(0, request.rfind('#'));
  // The newest choice of model wins: files of a bundled model requested before the user opened
  // another one (the default, still downloading when a folder is dropped) are dropped, and so
  // is their failure.
  if (superseded(state, request)) return;
  if (kind == "session") {  // a session file picked or dropped (browser): one file
    if (!files) return session_error(state, "session: " + files.error().to_string());
    auto bytes = (*files)->read("session.json");
    if (!bytes) return session_error(state, "session: " + bytes.error().to_string());
    return open_session(state, bytes->text());
  }
  if (!files) {
    if (kind == "tasks") state.task_files_requested = false;  // let a later click try again
    state.load_progress = -1;
    set_error(state, files.error().to_string());
    return;
  }
  std::shared_ptr<const FileSource> source = std::move(*files);
  if (kind == "tasks") {
    for (const std::string& name : task_file_names()) {
      auto bytes = source->read(name);
      if (!bytes) {
        state.task_files.clear();
        state.task_files_requested = false;
        set_error(state, bytes.error().to_string());
        return;
      }
      state.task_files[name] = std::string(bytes->text());
    }
    return;
  }
  if (request_number(request) < 0) state.model_choice = ++state.request_serial;
  const std::string name = kind.rfind("model:", 0) == 0 ? kind.substr(6) : kind;
  state.load_progress = 1;
  state.load_stage = "reading " + name;
  auto model = std::make_shared<std::optional<Model>>();
  auto error = std::make_shared<std::string>();
  auto started = std::make_shared<std::chrono::steady_clock::time_point>();
  auto placement = std::make_shared<Placement>();
  state.jobs.start(make_job(
      "Loading " + name,
      [source, model, started, placement, choice = state.backend_choice](Job&) {
        *started = std::chrono::steady_clock::now();
        auto loaded = Model::load(*source);
        if (!loaded) return loaded.error().to_string();
        model->emplace(on_chosen_backend(*loaded, choice, placement.get()));
        return std::string();
      },
      [model, name, started, placement](AppState& s) {
        const bool first_model = !s.model;
        s.model = std::make_shared<const Model>(std::move(**model));
        s.backend_note = placement->note;
        s.backend_reason = placement->reason;
        s.model_name = name;
        s.load_progress = -1;
        s.error.clear();  // a model on screen now: older errors no longer apply
        // Nothing computed for the previous model may stay on screen for this one.
        s.background.cancel();
        s.run.reset();
        s.run_error.clear();
        s.run_too_long = false;
        s.hover_query = s.hover_key = -1;
        s.ablation.sweep.reset();
        s.ablation.effect.reset();
        s.calibration.effect.reset();
        s.calibration.heads.clear();
        s.circuit.result.reset();
        s.circuit.evaluation.reset();
        s.circuit.edge_evaluation.reset();
        s.circuit.eap.reset();
        s.circuit.acdc.reset();
        discard_analyses(s);
        const ModelConfig& c = s.model->config();
        const auto fits = [&c](HeadRef h) { return h.layer < c.n_layers && h.head < c.n_heads; };
        // The first model keeps the heads a shared link named (if they exist in it).
        if (first_model)
          std::erase_if(s.ablation.heads, [&](HeadRef h) { return !fits(h); });
        else
          s.ablation.heads.clear();
        if (!fits(s.focus)) s.focus = {0, 0};
        char line[160];
        std::snprintf(line, sizeof line, "loaded %s (%d layers × %d heads) in %.2f s", name.c_str(),
                      c.n_layers, c.n_heads, seconds_since(*started));
        set_status(s, line);
        if (!s.model->tokenizer()) {
          s.prompt_is_ids = true;
          set_error(
              s, "no tokenizer: " + s.model->tokenizer_error() + ". Type the prompt as token ids.");
        }
        if (!s.backend_note.empty()) set_error(s, s.backend_note);
        if (!s.start_notice.empty()) set_error(s, std::exchange(s.start_notice, ""));
        apply_pending_session(s);  // a session opened for this model: its prompt runs now
        run_prompt(s);
      },
      [](AppState& s, const std::string&) {
        s.load_progress = -1;  // the bar must not stay full after a failed load
        s.load_stage.clear();
      }));
}

namespace {

// The prompt's ids: typed ids, or the text through the tokenizer. Longer than the context: the
// last n_ctx tokens with keep_last, else an error that says so.
struct PromptIds {
  std::vector<int> ids;
  int dropped = 0;
  bool too_long = false;
};

Result<PromptIds> prompt_ids(const Model& model, const std::string& text, bool as_ids,
                             bool keep_last) {
  PromptIds out;
  if (as_ids || !model.tokenizer()) {
    if (text.find_first_not_of(" ,") == std::string::npos)
      return make_error(model.tokenizer() ? "type token ids first"
                                          : "this model has no tokenizer: type token ids",
                        "e.g. 464, 3797, 3332");
    ATTNSCOPE_ASSIGN(out.ids, parse_token_ids(text));
  } else {
    if (text.empty()) return make_error("type a prompt first");
    ATTNSCOPE_ASSIGN(out.ids, model.tokenize(text));
  }
  const std::size_t n_ctx = std::size_t(model.config().n_ctx);
  if (out.ids.size() > n_ctx && keep_last) {
    out.dropped = int(out.ids.size() - n_ctx);
    out.ids.erase(out.ids.begin(), out.ids.begin() + out.dropped);
  }
  out.too_long = out.ids.size() > n_ctx;
  return out;
}

}  // namespace

const std::string& prompt_source(const AppState& state) {
  return state.prompt_is_ids ? state.prompt_ids : state.prompt;
}

void run_prompt(AppState& state) {
  if (!state.model) return;
  auto model = state.model;
  const bool as_ids = state.prompt_is_ids || !model->tokenizer();
  const std::string text = as_ids ? state.prompt_ids : state.prompt;
  if (as_ids && text.find_first_not_of(" ,\n") == std::string::npos) {
    // Nothing to run yet (a model without a tokenizer has just loaded): say what to do beside
    // the views, and leave the status bar to the message about the tokenizer.
    state.run_error = model->tokenizer() ? "type token ids, then press Enter"
                                         : "this model has no tokenizer: type token ids "
                                           "(e.g. 464, 3797, 3332) and press Enter";
    return;
  }
  const bool keep_last = state.keep_last_tokens;
  const SinkOptions sink_options = state.sinks.options;
  auto run = std::make_shared<Run>();
  auto too_long = std::make_shared<bool>(false);
  state.jobs.start(make_job(
      kRunPromptJob,
      [model, text, as_ids, keep_last, sink_options, run, too_long](Job&) {
        const auto start = std::chrono::steady_clock::now();
        auto ids = prompt_ids(*model, text, as_ids, keep_last);
        if (!ids) return ids.error().to_string();
        *too_long = ids->too_long;
        if (Status ok = model->check_ids(ids->ids); !ok) return ok.error().to_string();
        HookPlan plan;
        plan.capture("blocks.*.attn.hook_pattern");
        Cache cache;
        auto logits = model->forward(ids->ids, plan, &cache);
        if (!logits) return logits.error().to_string();
        cache.to_host();  // every pattern is drawn: one read-back for all (on a GPU backend)
        run->ids = std::move(ids->ids);
        run->dropped_tokens = ids->dropped;
        const BpeTokenizer* tok = model->tokenizer();
        for (int id : run->ids) {
          run->tokens.push_back(model->token_display(id));
          run->token_hex.push_back(tok ? hex_bytes(tok->token_bytes(id)) : "");
        }
        for (int l = 0; l < model->config().n_layers; l++)
          run->patterns.push_back(
              *cache.find("blocks." + std::to_string(l) + ".attn.hook_pattern"));
        run->last_logits = last_row(*logits);
        auto sinks = find_sinks(cache, sink_options);
        if (!sinks) return sinks.error().to_string();
        run->sinks = std::move(*sinks);
        run->seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return std::string();
      },
      [model, run, text](AppState& s) {
        if (s.model != model) return;  // run for a model that is no longer on screen
        run->serial = ++s.runs_started;
        s.run = std::move(*run);
        s.ran_prompt = text;
        s.run_error.clear();
        s.run_too_long = false;
        if (s.error_source == kRunPromptJob) s.error.clear();  // the prompt runs now
        s.hover_query = s.hover_key = -1;
        s.ablation.sweep.reset();
        discard_analyses(s);      // patching, lens, massive: computed for the previous prompt
        adopt_saved_patching(s);  // ... unless an opened session saved a map for this run
        char line[160];
        std::snprintf(line, sizeof line, "%zu tokens, forward pass %.1f ms", s.run->ids.size(),
                      s.run->seconds * 1e3);
        std::string status = line;
        if (s.run->dropped_tokens > 0)
          status += "; kept the last " + std::to_string(s.run->ids.size()) + " tokens (" +
                    std::to_string(s.run->dropped_tokens) + " cut from the front)";
        set_status(s, status);
        refresh_ablation(s);
        if (s.generation.run_on_load) {  // a link asked for a continuation of its prompt
          s.generation.run_on_load = false;
          start_generation(s);
        }
      },
      [model, too_long](AppState& s, const std::string& error) {
        if (s.model != model) return;
        s.run_error = error;  // shown where the views would be
        s.run_too_long = *too_long;
        s.run_too_long = *too_long;
      }));
}

namespace {

// The resample source: the user's corrupted prompt, or the prompt's tokens reversed.
Result<std::vector<int>> corrupted_ids(const Model& model, const std::string& text,
                                       const std::vector<int>& ids) {
  if (text.empty()) return std::vector<int>(ids.rbegin(), ids.rend());
  ATTNSCOPE_ASSIGN(std::vector<int> c, model.tokenize(text));
  if (c.size() != ids.size())
    return make_error("the corrupted prompt has " + std::to_string(c.size()) +
                      " tokens; resampling needs as many as the prompt (" +
                      std::to_string(ids.size()) + ")");
  return c;
}

}  // namespace

void refresh_ablation(AppState& state) {
  if (!state.model || !state.run) return;
  auto model = state.model;
  const AblationState settings = state.ablation;
  const std::vector<int> ids = state.run->ids;
  const Tensor clean = state.run->last_logits;
  const int serial = state.run->serial;
  struct Out {
    std::optional<NextTokenEffect> effect;
    double before = 0, after = 0;
    bool metric_valid = false;
    std::string metric_error;
  };
  auto out = std::make_shared<Out>();
  state.jobs.start(make_job(
      "Ablating heads",
      [model, settings, ids, clean, out](Job&) -> std::string {
        Tensor after = clean;
        if (!settings.heads.empty()) {
          Ablation ablation;
          ablation.mode = settings.mode;
          ablation.heads = settings.heads;
          if (settings.mode == AblationMode::mean) {
            const std::vector<std::vector<int>> set = {ids};
            auto z = mean_head_z(*model, set);
            if (!z) return z.error().to_string();
            ablation.source = std::make_shared<const Tensor>(std::move(*z));
          } else if (settings.mode == AblationMode::resample) {
            auto c = corrupted_ids(*model, settings.corrupted_text, ids);
            if (!c) return c.error().to_string();
            auto z = head_z(*model, *c);
            if (!z) return z.error().to_string();
            ablation.source = std::make_shared<const Tensor>(std::move(*z));
          }
          HookPlan plan;
          if (Status ok = add_ablation(plan, model->config(), ablation, ids.size()); !ok)
            return ok.error().to_string();
          auto logits = model->forward(ids, plan);
          if (!logits) return logits.error().to_string();
          after = last_row(*logits);
        }
        auto effect = next_token_effect(clean, after, 10);
        if (!effect) return effect.error().to_string();
        out->effect = std::move(*effect);
        auto a = model->single_token(settings.answer);
        auto d = model->single_token(settings.distractor);
        if (!a || !d) {
          out->metric_error = (!a ? a.error() : d.error()).to_string();
        } else {
          out->before = double(clean(0, *a)) - clean(0, *d);
          out->after = double(after(0, *a)) - after(0, *d);
          out->metric_valid = true;
        }
        return std::string();
      },
      [out, model, serial](AppState& s) {
        if (s.model != model || !s.run || s.run->serial != serial) return;  // stale
        s.ablation.effect = std::move(out->effect);
        s.ablation.logit_diff_before = out->before;
        s.ablation.logit_diff_after = out->after;
        s.ablation.metric_valid = out->metric_valid;
        s.ablation.metric_error = out->metric_error;
        s.ablation.effect_serial++;
        refresh_calibration(s);
      }));
}

void toggle_ablated(AppState& state, HeadRef head) {
  auto& heads = state.ablation.heads;
  auto it = std::find(heads.begin(), heads.end(), head);
  if (it == heads.end())
    heads.push_back(head);
  else
    heads.erase(it);
  refresh_ablation(state);
}

void refresh_calibration(AppState& state) {
  if (!state.model || !state.run || !state.calibration.enabled) return;
  auto model = state.model;
  std::vector<HeadRef> heads = state.calibration.heads;
  if (state.calibration.all_hidden && state.run->sinks) {
    heads.clear();
    for (const HeadSinks& h : state.run->sinks->heads)
      if (h.has_hidden_sink()) heads.push_back(h.head);
  }
  CalibrationOptions options;
  options.beta = state.calibration.beta;
  options.sinks = state.sinks.options;
  const std::vector<int> ids = state.run->ids;
  const int serial = state.run->serial;
  auto effect = std::make_shared<std::optional<NextTokenEffect>>();
  state.jobs.start(make_job(
      "Calibrating attention",
      [model, ids, heads, options, effect](Job&) -> std::string {
        auto e = calibration_effect(*model, ids, heads, options, 10);
        if (!e) return e.error().to_string();
        *effect = std::move(*e);
        return "";
      },
      [effect, heads, model, serial](AppState& s) {
        if (s.model != model || !s.run || s.run->serial != serial) return;  // stale
        s.calibration.effect = std::move(*effect);
        s.calibration.applied = heads;
        s.calibration.effect_serial++;
      }));
}

void save_export(AppState& state, const std::string& filename,
                 const std::vector<std::uint8_t>& bytes, const std::string& mime) {
  auto saved = state.host->save(export_file_name(filename), bytes, mime);
  if (!saved) {
    set_error(state, "export failed: " + saved.error().to_string());
    return;
  }
  state.last_export = *saved;
  set_status(state, *saved);
}

void save_export(AppState& state, const std::string& filename, const std::string& text,
                 const std::string& mime) {
  save_export(state, filename, std::vector<std::uint8_t>(text.begin(), text.end()), mime);
}

void save_data_exports(AppState& state, bool csv, bool json, const Tensor& values,
                       const ExportInfo& info, const std::string& stem) {
  if (csv) {
    auto text = to_csv(values, info);
    if (!text) return set_error(state, text.error().to_string());
    save_export(state, stem + ".csv", *text, "text/csv");
  }
  if (json) {
    auto text = to_json(values, info);
    if (!text) return set_error(state, text.error().to_string());
    save_export(state, stem + ".json", *text, "application/json");
  }
}

}  // namespace attnscope::ui
