//! Offscreen rendering: an egui frame drawn by wgpu into a texture and read back as RGBA pixels, with no
//! window and no display (llvmpipe or lavapipe on a server, the GPU where there is one). Used by
//! `wellconsole screenshot` for docs and reports. The wgpu steps follow egui_kittest's test renderer.

use crossbeam_channel::bounded;
use egui_wgpu::wgpu;
use std::time::Duration;

/// How long a frame may take to render and read back before we give up (software rendering is slow).
const WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum OffscreenError {
    #[error("no graphics adapter for offscreen rendering ({0}); on a server install mesa-vulkan-drivers")]
    Adapter(String),
    #[error("rendering did not finish: {0}")]
    Render(String),
    #[error("could not write {path}: {why}")]
    Write { path: std::path::PathBuf, why: String },
}

/// An image as rows of RGBA bytes, top row first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Rgba {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [self.data[i], self.data[i + 1], self.data[i + 2], self.data[i + 3]]
    }

    pub fn write_png(&self, path: &std::path::Path) -> Result<(), OffscreenError> {
        let fail = |why: String| OffscreenError::Write {
            path: path.to_path_buf(),
            why,
        };
        let file = std::fs::File::create(path).map_err(|e| fail(e.to_string()))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| fail(e.to_string()))?;
        w.write_image_data(&self.data).map_err(|e| fail(e.to_string()))?;
        w.finish().map_err(|e| fail(e.to_string()))
    }
}

pub struct Offscreen {
    state: egui_wgpu::RenderState,
}

impl Offscreen {
    pub fn new() -> Result<Self, OffscreenError> {
        let setup = egui_wgpu::WgpuSetup::CreateNew(egui_wgpu::WgpuSetupCreateNew::without_display_handle());
        let instance = pollster::block_on(setup.new_instance());
        let config = egui_wgpu::WgpuConfiguration {
            wgpu_setup: setup,
            ..Default::default()
        };
        let state = pollster::block_on(egui_wgpu::RenderState::create(
            &config,
            &instance,
            None,
            egui_wgpu::RendererOptions::PREDICTABLE,
        ))
        .map_err(|e| OffscreenError::Adapter(e.to_string()))?;
        Ok(Self { state })
    }

    /// The adapter in use, for the record ("llvmpipe (Vulkan)").
    pub fn adapter(&self) -> String {
        let i = self.state.adapter.get_info();
        format!("{} ({:?})", i.name, i.backend)
    }

    /// Renders one finished egui frame (its textures uploaded first) and reads it back.
    pub fn render(&mut self, ctx: &egui::Context, out: &mut egui::FullOutput) -> Result<Rgba, OffscreenError> {
        let (device, queue) = (&self.state.device, &self.state.queue);
        let mut renderer = self.state.renderer.write();
        for (id, deltas) in out.textures_delta.set.drain() {
            for delta in deltas {
                renderer.update_texture(device, queue, id, &delta);
            }
        }
        let ppp = out.pixels_per_point;
        let size = ctx.content_rect().size() * ppp;
        let screen = egui_wgpu::ScreenDescriptor {
            pixels_per_point: ppp,
            size_in_pixels: [size.x.round() as u32, size.y.round() as u32],
        };
        let prims = ctx.tessellate(std::mem::take(&mut out.shapes), ppp);
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("screenshot"),
        });
        let user = renderer.update_buffers(device, queue, &mut encoder, &prims, &screen);
        let format = self.state.target_format;
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("screenshot"),
            size: wgpu::Extent3d {
                width: screen.size_in_pixels[0],
                height: screen.size_in_pixels[1],
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        {
            let mut pass = encoder
                .begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("screenshot"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: &view,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Clear(wgpu::Color::WHITE),
                            store: wgpu::StoreOp::Store,
                        },
                        depth_slice: None,
                    })],
                    ..Default::default()
                })
                .forget_lifetime();
            renderer.render(&mut pass, &prims, &screen);
        }
        queue.submit(user.into_iter().chain(std::iter::once(encoder.finish())));
        let mut rgba = read_back(device, queue, &texture)?;
        if matches!(
            format,
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        ) {
            for px in rgba.data.chunks_exact_mut(4) {
                px.swap(0, 2);
            }
        }
        Ok(rgba)
    }
}

fn read_back(device: &wgpu::Device, queue: &wgpu::Queue, texture: &wgpu::Texture) -> Result<Rgba, OffscreenError> {
    let (w, h) = (texture.width(), texture.height());
    let unpadded = w as usize * 4;
    let align = wgpu::COPY_BYTES_PER_ROW_ALIGNMENT as usize;
    let padded = unpadded.div_ceil(align) * align;
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("screenshot read-back"),
        size: (padded * h as usize) as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("read-back"),
    });
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded as u32),
                rows_per_image: None,
            },
        },
        wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
    );
    let index = queue.submit(std::iter::once(encoder.finish()));
    let slice = buffer.slice(..);
    let (tx, rx) = bounded(1);
    slice.map_async(wgpu::MapMode::Read, move |r| drop(tx.send(r)));
    device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(index),
            timeout: Some(WAIT),
        })
        .map_err(|e| OffscreenError::Render(e.to_string()))?;
    rx.recv_timeout(WAIT)
        .map_err(|e| OffscreenError::Render(e.to_string()))?
        .map_err(|e| OffscreenError::Render(e.to_string()))?;
    let mapped = buffer
        .slice(..)
        .get_mapped_range()
        .map_err(|e| OffscreenError::Render(e.to_string()))?;
    let data = mapped
        .chunks_exact(padded)
        .flat_map(|row| row[..unpadded].iter().copied())
        .collect();
    Ok(Rgba {
        width: w,
        height: h,
        data,
    })
}
