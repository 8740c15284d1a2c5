/**
 * Images leaving the JVM: {@link io.diffrl4j.rewards.image.ImageCodec} turns an {@link
 * io.diffrl4j.core.reward.ImageBatch} image into 8-bit RGB and PNG bytes (what VLM judges and OCR
 * receive), {@link io.diffrl4j.rewards.image.JpegCodec} into JPEG bytes and back (what GenEval's
 * reward server receives), and {@link
 * io.diffrl4j.rewards.image.JpegCompressibilityReward} is DDPO's weight-free reward built on it.
 */
package io.diffrl4j.rewards.image;
