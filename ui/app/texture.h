// texture.h — an RGBA image on the GPU for ImGui::Image: heatmaps are drawn as one textured quad
// each, so a 1024 × 1024 pattern costs four vertices, not a million rectangles.
#pragma once

#include <cstdint>
#include <vector>

#include <imgui.h>

namespace attnscope::ui {

class Texture {
 public:
  Texture() = default;
  ~Texture();
  Texture(const Texture&) = delete;
  Texture& operator=(const Texture&) = delete;
  Texture(Texture&& other) noexcept;
  Texture& operator=(Texture&& other) noexcept;

  // Replaces the image; rgba is [height, width, 4]. Nearest-neighbour sampling: cells stay crisp.
  void upload(const std::uint8_t* rgba, int width, int height);
  ImTextureID id() const;
  bool empty() const { return handle_ == 0; }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  unsigned handle_ = 0;
  int width_ = 0, height_ = 0;
};

}  // namespace attnscope::ui
