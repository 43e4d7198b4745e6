package wasmhost

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"syscall"
)

// errno is a WASI error number.
type errno uint32

// The WASI error numbers this host returns.
const (
	errSUCCESS      errno = 0
	errACCES        errno = 2
	errADDRINUSE    errno = 3
	errADDRNOTAVAIL errno = 4
	errAGAIN        errno = 6
	errBADF         errno = 8
	errBUSY         errno = 10
	errCANCELED     errno = 11
	errCONNABORTED  errno = 13
	errCONNREFUSED  errno = 14
	errCONNRESET    errno = 15
	errDESTADDRREQ  errno = 17
	errEXIST        errno = 20
	errFAULT        errno = 21
	errHOSTUNREACH  errno = 23
	errINPROGRESS   errno = 26
	errINTR         errno = 27
	errINVAL        errno = 28
	errIO           errno = 29
	errISCONN       errno = 30
	errISDIR        errno = 31
	errMSGSIZE      errno = 35
	errNAMETOOLONG  errno = 37
	errNODEV        errno = 43
	errNOENT        errno = 44
	errNOSPC        errno = 51
	errNOSYS        errno = 52
	errNOTCONN      errno = 53
	errNOTDIR       errno = 54
	errNOTEMPTY     errno = 55
	errNOTSOCK      errno = 57
	errNOTSUP       errno = 58
	errPERM         errno = 63
	errPIPE         errno = 64
	errSPIPE        errno = 70
	errTIMEDOUT     errno = 73
	errXDEV         errno = 75
	errNOTCAPABLE   errno = 76
)

// errnoOf maps an error of the providers (package os's and net's shapes)
// to the WASI number the program's syscall package understands.
func errnoOf(err error) errno {
	if err == nil {
		return errSUCCESS
	}
	var se syscall.Errno
	if errors.As(err, &se) {
		switch se {
		case syscall.EISDIR:
			return errISDIR
		case syscall.ENOTDIR:
			return errNOTDIR
		case syscall.ENOTEMPTY:
			return errNOTEMPTY
		case syscall.EBADF:
			return errBADF
		case syscall.EIO:
			return errIO
		case syscall.ECONNREFUSED:
			return errCONNREFUSED
		case syscall.ECONNRESET:
			return errCONNRESET
		case syscall.ECONNABORTED:
			return errCONNABORTED
		case syscall.EPIPE:
			return errPIPE
		case syscall.EADDRINUSE:
			return errADDRINUSE
		case syscall.EADDRNOTAVAIL:
			return errADDRNOTAVAIL
		case syscall.ETIMEDOUT:
			return errTIMEDOUT
		case syscall.EHOSTUNREACH:
			return errHOSTUNREACH
		case syscall.ENOTCONN:
			return errNOTCONN
		case syscall.EXDEV:
			return errXDEV
		case syscall.EINVAL:
			return errINVAL
		case syscall.EEXIST:
			return errEXIST
		case syscall.ENOENT:
			return errNOENT
		case syscall.ENOSPC:
			return errNOSPC
		case syscall.ENAMETOOLONG:
			return errNAMETOOLONG
		case syscall.EBUSY:
			return errBUSY
		case syscall.EMSGSIZE:
			return errMSGSIZE
		case syscall.EACCES:
			return errACCES
		}
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errNOENT
	case errors.Is(err, fs.ErrExist):
		return errEXIST
	case errors.Is(err, fs.ErrPermission):
		return errPERM
	case errors.Is(err, fs.ErrClosed), errors.Is(err, net.ErrClosed):
		return errBADF
	case errors.Is(err, fs.ErrInvalid), errors.Is(err, syscall.EINVAL):
		return errINVAL
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return errTIMEDOUT
	case errors.Is(err, context.Canceled):
		return errCANCELED
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errCONNRESET
	case errors.As(err, &dnsErr):
		return errHOSTUNREACH
	}
	return errIO
}
