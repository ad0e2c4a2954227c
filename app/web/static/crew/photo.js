// Photos taken with the tablet's camera, made small on the tablet before they are queued: at most MAX_SIDE
// pixels on their longest side, re-encoded as JPEG (which also drops the camera's metadata), with the time
// they were taken and the tablet's position.
const MAX_SIDE = 1600;
const QUALITY = 0.82;

function load(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => resolve({ image, url });
    image.onerror = () => { URL.revokeObjectURL(url); reject(new Error('not an image')); };
    image.src = url;
  });
}

/** `file` (from the camera input) as a JPEG Blob of at most MAX_SIDE px. */
export async function shrink(file) {
  const source = typeof createImageBitmap === 'function'
    ? await createImageBitmap(file, { imageOrientation: 'from-image' }).then((b) => ({ image: b, url: null }))
      .catch(() => load(file))
    : await load(file);
  const { image } = source;
  const width = image.naturalWidth || image.width;
  const height = image.naturalHeight || image.height;
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
  if (source.url) URL.revokeObjectURL(source.url);
  if (image.close) image.close();
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('encoding'))),
    'image/jpeg', QUALITY));
}
