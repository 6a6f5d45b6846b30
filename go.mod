module smtplab

go 1.26
