// actions.cpp — loading models, running the prompt, ablation and calibration effects.
#include "ui/app/actions.h"

#include <chrono>
#include <cstdio>

#include "core/analysis/prompt.h"
#include "ui/app/host.h"

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

// A metric token typed by the user: exactly one token.
Result<int> single_token(const Model& model, const std::string& text) {
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, model.tokenize(text));
  if (ids.size() != 1)
    return make_error("'" + text + "' is " + std::to_string(ids.size()) +
                      " tokens; the logit difference compares single tokens");
  return ids[0];
}

}  // namespace

const std::vector<std::string>& model_file_names() {
  static const std::vector<std::string> names = {"config.json", "model.safetensors",
                                                 "tokenizer.json"};
  return names;
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

void set_error(AppState& state, std::string message) {
  state.error = std::move(message);
  state.error_serial++;
}

// Requests are named "model:NAME#k" / "tasks#k": files of two requests under way at once (two
// clicks) never mix.
void load_bundled_model(AppState& state, const std::string& name) {
  state.load_progress = 0;
  state.load_stage = "fetching " + name;
  const std::string request = "model:" + name + "#" + std::to_string(++state.request_serial);
  state.host->request_bundled(state, request, name, model_file_names());
}

void ensure_task_files(AppState& state) {
  if (!state.task_files.empty() || state.task_files_requested) return;
  state.task_files_requested = true;
  const std::string request = "tasks#" + std::to_string(++state.request_serial);
  state.host->request_bundled(state, request, "tasks", task_file_names());
}

void deliver_files(AppState& state, const std::string& request,
                   Result<std::shared_ptr<const FileSource>> files) {
  const std::string kind = request.substr(0, request.rfind('#'));
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
  const std::string name = kind.rfind("model:", 0) == 0 ? kind.substr(6) : kind;
  state.load_progress = 1;
  state.load_stage = "reading " + name;
  auto model = std::make_shared<std::optional<Model>>();
  auto error = std::make_shared<std::string>();
  auto started = std::make_shared<std::chrono::steady_clock::time_point>();
  state.jobs.start(make_job(
      "Loading " + name,
      [source, model, started](Job&) {
        *started = std::chrono::steady_clock::now();
        auto loaded = Model::load(*source);
        if (!loaded) return loaded.error().to_string();
        if (!loaded->tokenizer())
          return "the model has no tokenizer (" + loaded->tokenizer_error() +
                 "): attnscope needs tokenizer.json to read prompts";
        model->emplace(std::move(*loaded));
        return std::string();
      },
      [model, name, started](AppState& s) {
        s.model = std::make_shared<const Model>(std::move(**model));
        s.model_name = name;
        s.load_progress = -1;
        s.run.reset();
        s.ablation.heads.clear();
        s.ablation.sweep.reset();
        s.ablation.effect.reset();
        s.calibration.effect.reset();
        s.calibration.heads.clear();
        s.circuit.result.reset();
        s.circuit.evaluation.reset();
        const ModelConfig& c = s.model->config();
        if (s.focus.layer >= c.n_layers || s.focus.head >= c.n_heads) s.focus = {0, 0};
        char line[160];
        std::snprintf(line, sizeof line, "loaded %s (%d layers × %d heads) in %.2f s", name.c_str(),
                      c.n_layers, c.n_heads, seconds_since(*started));
        set_status(s, line);
        run_prompt(s);
      }));
}

void run_prompt(AppState& state) {
  if (!state.model) return;
  auto model = state.model;
  const std::string text = state.prompt;
  const SinkOptions sink_options = state.sinks.options;
  auto run = std::make_shared<Run>();
  state.jobs.start(make_job(
      "Running the prompt",
      [model, text, sink_options, run](Job&) {
        const auto start = std::chrono::steady_clock::now();
        if (text.empty()) return std::string("type a prompt first");
        auto ids = model->tokenize(text);
        if (!ids) return ids.error().to_string();
        if (Status ok = model->check_ids(*ids); !ok) return ok.error().to_string();
        HookPlan plan;
        plan.capture("blocks.*.attn.hook_pattern");
        Cache cache;
        auto logits = model->forward(*ids, plan, &cache);
        if (!logits) return logits.error().to_string();
        run->ids = *ids;
        const BpeTokenizer& tok = *model->tokenizer();
        for (int id : *ids) {
          run->tokens.push_back(tok.token_display(id));
          run->token_hex.push_back(hex_bytes(tok.token_bytes(id)));
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
      [run, text](AppState& s) {
        run->serial = s.run ? s.run->serial + 1 : 1;
        s.run = std::move(*run);
        s.ran_prompt = text;
        s.ablation.sweep.reset();
        char line[128];
        std::snprintf(line, sizeof line, "%zu tokens, forward pass %.1f ms", s.run->ids.size(),
                      s.run->seconds * 1e3);
        set_status(s, line);
        refresh_ablation(s);
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
        auto a = single_token(*model, settings.answer);
        auto d = single_token(*model, settings.distractor);
        if (!a || !d) {
          out->metric_error = (!a ? a.error() : d.error()).to_string();
        } else {
          out->before = double(clean(0, *a)) - clean(0, *d);
          out->after = double(after(0, *a)) - after(0, *d);
          out->metric_valid = true;
        }
        return std::string();
      },
      [out](AppState& s) {
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
  auto effect = std::make_shared<std::optional<NextTokenEffect>>();
  state.jobs.start(make_job(
      "Calibrating attention",
      [model, ids, heads, options, effect](Job&) -> std::string {
        auto e = calibration_effect(*model, ids, heads, options, 10);
        if (!e) return e.error().to_string();
        *effect = std::move(*e);
        return "";
      },
      [effect, heads](AppState& s) {
        s.calibration.effect = std::move(*effect);
        s.calibration.applied = heads;
        s.calibration.effect_serial++;
      }));
}

void save_export(AppState& state, const std::string& filename,
                 const std::vector<std::uint8_t>& bytes, const std::string& mime) {
  auto saved = state.host->save(filename, bytes, mime);
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
