/**
 * The SD3.5-Medium example fine-tune ({@code sd35-finetune}): any method of the library on a
 * diffusers pipeline folder, a prompt file and rewards by name, with checkpoints, resume, a
 * dry-run plan and the same kind of report as the Shapes demo.
 */
package io.diffrl4j.examples.sd35;
