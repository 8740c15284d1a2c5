/** The SD3 / SD3.5 multimodal diffusion transformer (MMDiT) as DJL blocks, configured and loaded with diffusers' names. */
package io.diffrl4j.models.mmdit;
