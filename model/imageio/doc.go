// Package imageio is how pictures enter and leave chatumm: PNG and JPEG
// files read through runtime/fileio and decoded only after their header
// passes the pixel and aspect-ratio limits, the resize-and-centre-crop to
// a VQ-GAN's input resolution (work bounded by the output, not the input),
// and PNG encoding of decoded pixels. It knows nothing of codes or models.
package imageio
