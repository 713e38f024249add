/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ctrctl image VERB …, and ctrctl images (ctl/image.c) */
int verb_image(int argc, char **argv);
int verb_images(int argc, char **argv);
