/**
 * The OCR reward of the text-rendering task (docs/REWARDS.md, "OCR"): {@link
 * io.diffrl4j.rewards.ocr.OcrReward} scores how closely the text read in an image matches the text
 * quoted in its prompt, by {@link io.diffrl4j.rewards.ocr.OcrRule} (substring or clipped
 * Levenshtein). The reading is done by an {@link io.diffrl4j.rewards.ocr.OcrEngine}; {@link
 * io.diffrl4j.rewards.ocr.TesseractEngine} runs Tesseract 5 in-process (JavaCPP's bundled library)
 * with the English model of Debian's {@code tesseract-ocr-eng}. The references use PaddleOCR, so
 * absolute numbers differ from theirs. {@link io.diffrl4j.rewards.ocr.OcrPrompts} generates a
 * prompt set for the task without any data set.
 */
package io.diffrl4j.rewards.ocr;
