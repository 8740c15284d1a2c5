/**
 * A reward read from a vision-language judge behind an OpenAI-compatible chat-completions server
 * (UnifiedReward or Qwen-VL served by vLLM or sglang), as Flow-GRPO uses UnifiedReward:
 *
 * <ul>
 *   <li>{@link io.diffrl4j.rewards.vlm.VlmJudgeConfig}: the server, model, question template,
 *       score regex and normaliser, concurrency limit and timeout; UnifiedReward's defaults;</li>
 *   <li>{@link io.diffrl4j.rewards.vlm.VlmJudgeReward}: the {@code "vlm"} reward, one concurrent
 *       request per image, scores in input order, unparseable answers scored 0 and counted;</li>
 *   <li>{@link io.diffrl4j.rewards.vlm.VlmJudgeResult}: one batch's scores with the judge's raw
 *       answers and which of them held no score.</li>
 * </ul>
 *
 * <p>The wire format is docs/REWARDS.md's: one user message holding an {@code image_url} part (a
 * {@code data:image;base64,} PNG) and a {@code text} part, temperature 0 by default. Needs only the
 * JDK's HTTP client, javax.imageio and Jackson.
 */
package io.diffrl4j.rewards.vlm;
