# Homebrew formula template: scripts/package renders it into dist/lovart.rb
# (version and the release archives' SHA-256) for a tap ({{repository}}'s
# release workflow attaches it to the release). Linux uses the static musl builds.
class Lovart < Formula
  desc "Generate images, video, audio and 3D with Lovart's Agent OpenAPI (CLI and MCP server)"
  homepage "{{repository}}"
  version "{{version}}"
  license "MIT"

  on_macos do
    on_arm do
      url "{{repository}}/releases/download/v{{version}}/lovart-v{{version}}-aarch64-apple-darwin.tar.gz"
      sha256 "{{sha256_macos_arm}}"
    end
    on_intel do
      url "{{repository}}/releases/download/v{{version}}/lovart-v{{version}}-x86_64-apple-darwin.tar.gz"
      sha256 "{{sha256_macos_intel}}"
    end
  end

  on_linux do
    on_arm do
      url "{{repository}}/releases/download/v{{version}}/lovart-v{{version}}-aarch64-unknown-linux-musl.tar.gz"
      sha256 "{{sha256_linux_arm}}"
    end
    on_intel do
      url "{{repository}}/releases/download/v{{version}}/lovart-v{{version}}-x86_64-unknown-linux-musl.tar.gz"
      sha256 "{{sha256_linux_intel}}"
    end
  end

  def install
    bin.install "lovart"
    generate_completions_from_executable(bin/"lovart", "completions")
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/lovart --version")
    assert_match "lovart-skill", shell_output("#{bin}/lovart skill show")
  end
end
