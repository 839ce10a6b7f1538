// cache.cpp — captured tensors, on the host or left in their backend's memory (hooks.h).
#include "core/model/hooks.h"

#include <algorithm>

namespace attnscope {

Cache::Entry::Entry(const HookId& hook, Tensor host, Backend* backend,
                    std::shared_ptr<Buffer> buffer, const Shape& shape)
    : name(hook_name(hook)), id(hook), stored_(std::make_shared<Stored>()) {
  stored_->shape = shape;
  stored_->host = std::move(host);
  stored_->backend = backend;
  stored_->buffer = std::move(buffer);
}

const Tensor& Cache::Entry::tensor() const {
  Stored& s = *stored_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.buffer) {
    Tensor t(s.shape);
    s.buffer->read(0, t.data(), t.size() * sizeof(float));
    s.host = std::move(t);
    s.buffer.reset();  // the backend's memory goes back as soon as the host has the tensor
  }
  return s.host;
}

std::size_t Cache::Entry::bytes() const {
  std::size_t n = sizeof(float);
  for (const std::size_t d : stored_->shape) n *= d;
  return n;
}

bool Cache::Entry::resident() const {
  std::lock_guard<std::mutex> lock(stored_->mutex);
  return stored_->buffer != nullptr;
}

void Cache::put(const HookId& id, Tensor t) {
  const Shape shape = shape_of(t);
  entries_.emplace_back(id, std::move(t), nullptr, nullptr, shape);
}

void Cache::put_resident(const HookId& id, Backend& backend, std::shared_ptr<Buffer> buffer,
                         const Shape& shape) {
  entries_.emplace_back(id, Tensor(), &backend, std::move(buffer), shape);
}

void Cache::to_host() const {
  // Every resident entry stays locked until its read is complete: a tensor() call from another
  // thread meanwhile waits, rather than replacing the host tensor the read is filling.
  std::vector<std::unique_lock<std::mutex>> locks;
  std::vector<Entry::Stored*> batch;
  std::vector<Backend*> backends;
  for (const Entry& e : entries_) {
    Entry::Stored& s = *e.stored_;
    std::unique_lock<std::mutex> lock(s.mutex);
    if (!s.buffer) continue;
    s.host = Tensor(s.shape);
    s.backend->read_async({s.buffer.get(), 0, DType::f32, 0}, s.host.data(),
                          s.host.size() * sizeof(float));
    if (std::find(backends.begin(), backends.end(), s.backend) == backends.end())
      backends.push_back(s.backend);
    batch.push_back(&s);
    locks.push_back(std::move(lock));
  }
  for (Backend* b : backends) b->synchronize();
  for (Entry::Stored* s : batch) s->buffer.reset();
}

const Tensor* Cache::find(std::string_view name) const {
  for (const Entry& e : entries_)
    if (e.name == name) return &e.tensor();
  return nullptr;
}

const Tensor* Cache::find(const HookId& id) const {
  for (const Entry& e : entries_)
    if (e.id == id) return &e.tensor();
  return nullptr;
}

std::size_t Cache::bytes() const {
  std::size_t n = 0;
  for (const Entry& e : entries_) n += e.bytes();
  return n;
}

std::size_t Cache::resident_bytes() const {
  std::size_t n = 0;
  for (const Entry& e : entries_)
    if (e.resident()) n += e.bytes();
  return n;
}

}  // namespace attnscope
