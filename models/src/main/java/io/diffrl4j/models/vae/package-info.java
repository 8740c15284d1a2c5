/**
 * Stable Diffusion 3's VAE, diffusers' {@code AutoencoderKL} with 16 latent channels: encoder and
 * decoder (GroupNorm + SiLU resnets, a single-head mid-block attention through the attention
 * backend, nearest 2x upsampling, asymmetric-padding stride-2 downsampling), loaded by diffusers'
 * checkpoint names, and the pipeline's mapping between latents and images in [0, 1]
 * ({@code scaling_factor}, {@code shift_factor}). {@link io.diffrl4j.models.vae.AutoencoderKL} is a
 * {@link io.diffrl4j.core.model.LatentDecoder}; {@link io.diffrl4j.models.vae.VaeConfig} reads
 * diffusers' {@code config.json}. Inference only.
 */
package io.diffrl4j.models.vae;
