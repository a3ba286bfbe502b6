# Connection limits, request time-outs and upload limits (src/http/limits.rs, media.rs).
error-request-timeout = The request took too long to arrive. Please try again.
console-error-image-dimensions = The image is too large: at most 10,000 pixels on a side and 40 megapixels in all. Make it smaller and try again.
error-busy = The site is very busy right now. Please try again in a moment.
