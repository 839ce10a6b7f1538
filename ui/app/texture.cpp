// texture.cpp — GL textures for both targets (OpenGL 3.3 core natively, WebGL2 in the browser).
#include "ui/app/texture.h"

#include <cstdint>
#include <utility>

#ifdef __EMSCRIPTEN__
#include <GLES3/gl3.h>
#else
#include <GL/gl.h>
#endif

namespace attnscope::ui {

Texture::~Texture() {
  if (handle_) glDeleteTextures(1, &handle_);
}

Texture::Texture(Texture&& other) noexcept
    : handle_(std::exchange(other.handle_, 0)), width_(other.width_), height_(other.height_) {}

Texture& Texture::operator=(Texture&& other) noexcept {
  if (this != &other) {
    if (handle_) glDeleteTextures(1, &handle_);
    handle_ = std::exchange(other.handle_, 0);
    width_ = other.width_;
    height_ = other.height_;
  }
  return *this;
}

void Texture::upload(const std::uint8_t* rgba, int width, int height) {
  if (!handle_) glGenTextures(1, &handle_);
  glBindTexture(GL_TEXTURE_2D, handle_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  width_ = width;
  height_ = height;
}

ImTextureID Texture::id() const {
  return reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(handle_));
}

}  // namespace attnscope::ui
